"""Administration pages: users (invite, edit, deactivate), organizations, audit log, roles."""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import AuditLog, Organization, OrgKind, Role, User
from matchmaker.validators import credit_code_check_char
from tests import factories as f


def isolate(app) -> None:
    """conftest keeps one app context pushed, so Flask-Login's cached ``g._login_user`` would
    leak from one request (and client) to the next; forget it before every request."""

    @app.before_request
    def forget_cached_user():
        g.pop("_login_user", None)


@pytest.fixture
def web(app):
    isolate(app)
    return app


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def signed_in(app, username: str, password: str = "password-123"):
    client = app.test_client()
    assert f.login(client, username, password).status_code == 302
    return client


def valid_code(prefix: str = "91150200MA0N1234") -> str:
    first17 = (prefix + "0" * 17)[:17]
    return first17 + credit_code_check_char(first17)


def one_time_password(html: str) -> str:
    match = re.search(r'<p class="otp"><code>([^<]+)</code>', html)
    assert match, html
    return match.group(1)


# --- roles --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.BROKER, Role.ENTERPRISE, Role.UNIVERSITY])
def test_non_admins_get_403_for_every_admin_page_and_post(web, role):
    f.user(role, username="someone")
    target = f.user(Role.BROKER, username="target")
    db.session.commit()
    client = signed_in(web, "someone")
    for url in ("/admin/users", "/admin/organizations", "/admin/audit", "/admin/users/new",
                f"/admin/users/{target.id}/edit"):
        assert client.get(url).status_code == 403, url
    users_before, orgs_before = count(User), count(Organization)
    assert client.post("/admin/users/new", data={
        "username": "intruder", "display_name": "x", "role": "admin"}).status_code == 403
    assert client.post("/admin/organizations/new", data={
        "kind": "enterprise", "name": "Fake"}).status_code == 403
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 403
    assert (count(User), count(Organization)) == (users_before, orgs_before)
    assert db.session.get(User, target.id).active is True


def test_anonymous_is_sent_to_login(web):
    response = web.test_client().get("/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.location


# --- users --------------------------------------------------------------------------------


def test_invite_shows_one_time_password_once_and_it_works(web):
    f.user(Role.ADMIN, username="root")
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    db.session.commit()
    client = signed_in(web, "root")
    response = client.post("/admin/users/new", data={
        "username": "kjdx", "display_name": "科大技术转移中心", "role": "university",
        "organization": str(uni.id), "email": "tto@imust.edu.cn",
    })
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response.get_data(as_text=True))
    user = db.session.scalar(select(User).where(User.username == "kjdx"))
    assert user.organization_id == uni.id and user.role is Role.UNIVERSITY
    assert password not in str(user.password_hash)
    assert signed_in(web, "kjdx", password)  # the one-time password logs in
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_invite"))
    assert audit.target == f"user:{user.id}" and password not in str(audit.detail)


def test_invite_validation_errors_write_nothing(web):
    f.user(Role.ADMIN, username="root")
    f.user(Role.BROKER, username="taken")
    agency = f.org(OrgKind.AGENCY)
    db.session.commit()
    client = signed_in(web, "root")
    before = count(User)
    cases = [
        ({"username": "a b", "display_name": "x", "role": "broker"}, "username"),
        ({"username": "taken", "display_name": "x", "role": "broker"}, "username"),
        ({"username": "TAKEN", "display_name": "x", "role": "broker"}, "username"),  # look-alike
        ({"username": "newent", "display_name": "x", "role": "enterprise"}, "organization"),
        ({"username": "newent", "display_name": "x", "role": "enterprise",
          "organization": str(agency.id)}, "organization"),
        ({"username": "newbroker", "display_name": "", "role": "broker"}, "display_name"),
        ({"username": "newbroker", "display_name": "x", "role": "broker",
          "broker_regions": ["上海市"]}, "broker_regions"),
        ({"username": "newbroker", "display_name": "x", "role": "broker",
          "email": "not-an-email"}, "email"),
    ]
    for data, field in cases:
        html = client.post("/admin/users/new", data=data).get_data(as_text=True)
        assert f'id="{field}-err"' in html, (data, field)
        assert 'class="otp"' not in html
    assert count(User) == before


def test_edit_user_role_org_and_broker_scope(web):
    f.user(Role.ADMIN, username="root")
    agency = f.org(OrgKind.AGENCY, name="包头技术市场")
    broker = f.user(Role.BROKER, username="wang")
    db.session.commit()
    client = signed_in(web, "root")
    response = client.post(f"/admin/users/{broker.id}/edit", data={
        "display_name": "王经纪", "role": "broker", "organization": str(agency.id),
        "broker_fields": "C, H，稀土", "broker_regions": ["包头市", "鄂尔多斯市"],
    })
    assert response.status_code == 302
    db.session.refresh(broker)
    assert broker.display_name == "王经纪" and broker.organization_id == agency.id
    assert broker.broker_fields == "C,H,稀土"
    assert broker.broker_regions == "包头市,鄂尔多斯市"
    page = client.get(f"/admin/users/{broker.id}/edit").get_data(as_text=True)
    assert 'value="鄂尔多斯市" checked' in page or 'checked id' in page


def test_admin_cannot_deactivate_or_demote_themself(web):
    root = f.user(Role.ADMIN, username="root")
    db.session.commit()
    client = signed_in(web, "root")
    client.post(f"/admin/users/{root.id}/active", data={"active": "0"})
    html = client.post(f"/admin/users/{root.id}/edit", data={
        "display_name": "root", "role": "broker"}).get_data(as_text=True)
    assert 'id="role-err"' in html
    db.session.refresh(root)
    assert root.active is True and root.role is Role.ADMIN


def test_deactivated_user_cannot_log_in_and_loses_session(web):
    f.user(Role.ADMIN, username="root")
    victim = f.user(Role.BROKER, username="leaver")
    db.session.commit()
    victim_client = signed_in(web, "leaver")
    assert victim_client.get("/needs/").status_code == 200
    admin = signed_in(web, "root")
    response = admin.post(f"/admin/users/{victim.id}/active", data={"active": "0"})
    assert response.status_code == 302
    db.session.refresh(victim)
    assert victim.active is False
    # the open session no longer counts, and a new login is refused
    assert victim_client.get("/needs/").status_code == 302
    assert f.login(web.test_client(), "leaver").status_code == 401
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "user_deactivate" in actions
    admin.post(f"/admin/users/{victim.id}/active", data={"active": "1"})
    assert f.login(web.test_client(), "leaver").status_code == 302


def test_password_reset_replaces_the_old_password(web):
    f.user(Role.ADMIN, username="root")
    user = f.user(Role.BROKER, username="forgetful")
    db.session.commit()
    html = signed_in(web, "root").post(f"/admin/users/{user.id}/password").get_data(as_text=True)
    password = one_time_password(html)
    assert f.login(web.test_client(), "forgetful").status_code == 401  # old one refused
    assert f.login(web.test_client(), "forgetful", password).status_code == 302


def test_users_list_filters(web):
    f.user(Role.ADMIN, username="root")
    f.user(Role.BROKER, username="zhang", display_name="张经纪")
    f.user(Role.BROKER, username="gone", active=False)
    db.session.commit()
    client = signed_in(web, "root")
    html = client.get("/admin/users?role=broker&active=1").get_data(as_text=True)
    assert "zhang" in html and "gone" not in html and "<td>root</td>" not in html
    assert "gone" in client.get("/admin/users?active=0").get_data(as_text=True)


# --- organizations ------------------------------------------------------------------------


def test_create_and_edit_organization(web):
    f.user(Role.ADMIN, username="root")
    db.session.commit()
    client = signed_in(web, "root")
    code = valid_code()
    response = client.post("/admin/organizations/new", data={
        "kind": "enterprise", "name": "包头稀土新材料有限公司", "credit_code": code.lower(),
        "region_league": "包头市", "region_county": "昆都仑区", "contact_name": "刘工",
        "contact_phone": "0472-5550000", "contact_email": "liu@example.com",
    })
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.credit_code == code))
    assert org.region_county == "昆都仑区" and org.kind is OrgKind.ENTERPRISE
    response = client.post(f"/admin/organizations/{org.id}/edit", data={
        "kind": "enterprise", "name": org.name, "credit_code": code, "region_league": "鄂尔多斯市",
        "contact_name": "",
    })
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.region_league == "鄂尔多斯市" and org.contact_name is None
    assert {"org_create", "org_update"} <= set(db.session.scalars(select(AuditLog.action)))


def test_organization_validation_errors_write_nothing(web):
    f.user(Role.ADMIN, username="root")
    f.org(OrgKind.ENTERPRISE, name="已有公司", credit_code=valid_code("91150200MA0N9999"))
    db.session.commit()
    client = signed_in(web, "root")
    bad_check = valid_code()[:-1] + ("0" if valid_code()[-1] != "0" else "1")
    before = count(Organization)
    cases = [
        ({"kind": "enterprise", "name": ""}, "name"),
        ({"kind": "enterprise", "name": "已有公司"}, "name"),
        ({"kind": "enterprise", "name": "新公司", "credit_code": bad_check}, "credit_code"),
        ({"kind": "enterprise", "name": "新公司", "credit_code": "123"}, "credit_code"),
        ({"kind": "enterprise", "name": "新公司",
          "credit_code": valid_code("91150200MA0N9999")}, "credit_code"),
        ({"kind": "enterprise", "name": "新公司", "region_league": "上海市"}, "region_league"),
        ({"kind": "spaceship", "name": "新公司"}, "kind"),
        ({"kind": "enterprise", "name": "新公司", "contact_email": "x@"}, "contact_email"),
        ({"kind": "enterprise", "name": "新公司", "contact_phone": "<script>"}, "contact_phone"),
        ({"kind": "enterprise", "name": "新公司", "contact_phone": "找王老师"}, "contact_phone"),
        ({"kind": "enterprise", "name": "x" * 201}, "name"),
    ]
    for data, field in cases:
        html = client.post("/admin/organizations/new", data=data).get_data(as_text=True)
        assert f'id="{field}-err"' in html, (data, field)
    assert count(Organization) == before


def test_organization_kind_change_must_fit_its_members(web):
    f.user(Role.ADMIN, username="root")
    ent = f.org(OrgKind.ENTERPRISE, name="某企业")
    f.user(Role.ENTERPRISE, organization=ent, username="entuser")
    db.session.commit()
    html = signed_in(web, "root").post(f"/admin/organizations/{ent.id}/edit", data={
        "kind": "university", "name": "某企业"}).get_data(as_text=True)
    assert 'id="kind-err"' in html
    db.session.refresh(ent)
    assert ent.kind is OrgKind.ENTERPRISE


# --- audit log ----------------------------------------------------------------------------


def test_audit_log_is_paginated_and_filtered(web):
    root = f.user(Role.ADMIN, username="root")
    other = f.user(Role.BROKER, username="other")
    for i in range(5):
        db.session.add(AuditLog(action="need_create", actor_id=other.id, target=f"need:{i}"))
    db.session.add(AuditLog(action="org_create", actor_id=root.id, target="organization:77"))
    db.session.commit()
    web.config["PAGE_SIZE"] = 3
    client = signed_in(web, "root")  # adds a "login" entry by root
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "page=2" in first and first.count("<tr><td data-label=") == 3
    only = client.get("/admin/audit?action=org_create").get_data(as_text=True)
    assert "organization:77" in only and "need:" not in only
    mine = client.get(f"/admin/audit?actor={other.id}").get_data(as_text=True)
    # the action's code is in the markup, not beside its label (QA pass B, D14)
    assert mine.count('data-code="need_create"') == 3 and "organization:77" not in mine


# --- CSRF ---------------------------------------------------------------------------------


def test_admin_posts_without_csrf_token_are_refused(csrf_app):
    isolate(csrf_app)
    f.user(Role.ADMIN, username="root")
    db.session.commit()
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/auth/login", data={
        "username": "root", "password": "password-123", "csrf_token": token}).status_code == 302
    before = count(Organization)
    response = client.post("/admin/organizations/new", data={"kind": "agency", "name": "无令牌"})
    assert response.status_code == 400
    assert count(Organization) == before


# --- translations -------------------------------------------------------------------------

CATALOGS = {
    "admin": ["matchmaker/portal/admin", "templates/admin", "matchmaker/services/organizations.py"],
    "needs": ["matchmaker/portal/needs", "templates/needs", "matchmaker/services/records.py",
              "matchmaker/services/record_checks.py", "matchmaker/services/exports.py"],
    "patents": ["matchmaker/portal/patents", "templates/patents"],
}


@pytest.mark.parametrize("feature", sorted(CATALOGS))
def test_chinese_catalog_translates_every_string(feature):
    """Every msgid in the feature's code and templates has a Chinese translation."""
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    methods = [("**.py", "python"), ("**.html", "jinja2")]
    found = set()
    for source in CATALOGS[feature]:
        path = root / source
        if path.is_dir():
            messages = (m[2] for m in extract_from_dir(path, methods, keywords=keywords))
        else:
            messages = (m[1] for m in extract_from_file("python", path, keywords=keywords))
        found |= {m if isinstance(m, str) else m[0] for m in messages}
    po = root / f"matchmaker/portal/{feature}/translations/zh_CN/LC_MESSAGES/messages.po"
    with open(po, "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0]  # a plural's id is (one, many)
                  for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert found and not found - translated, sorted(found - translated)
