"""Organizations and contact forms after QA round 2b: control characters refused in every text
field, and a phone number too short or too long told so (not told which characters to use)."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from matchmaker import validators
from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import ContactRequest, Organization, OrgKind, Role
from matchmaker.services import organizations as orgs
from tests import factories as f

CONTROL = "文本中不能包含控制字符（如 NUL）"
LENGTH = "电话号码须为 6–40 位。"
CHARACTERS = "只能包含数字、空格和 + ( ) -。"


@pytest.fixture
def web(app):
    @app.before_request
    def forget_cached_user():  # one app context spans the test: no user cached across clients
        g.pop("_login_user", None)

    return app


def signed_in(app, username: str):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    return client


def count_orgs() -> int:
    return db.session.scalar(select(func.count(Organization.id)))


# -- 5. phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,message", [
    ("123", LENGTH),
    ("12345", LENGTH),
    ("1" * 41, LENGTH),
    ("0472-519a101", CHARACTERS),
    ("<script>", CHARACTERS),
    ("1;2", CHARACTERS),  # too short as well: the characters are the first thing to fix
])
def test_phone_problem_names_the_rule_that_failed(app, value, message):
    assert validators.phone_problem(value) == message
    assert not validators.phone_number(value)


@pytest.mark.parametrize("value", ["0472-5190101", "+86 (472) 519 0101", "123456", "1" * 40])
def test_phone_numbers_people_write_pass(app, value):
    assert validators.phone_problem(value) is None and validators.phone_number(value)


def test_the_organization_service_tells_a_short_phone_number_its_length(app):
    admin = f.user(Role.ADMIN)
    for phone, message in (("12345", LENGTH), ("王老师", CHARACTERS)):
        with pytest.raises(ValidationError) as err:
            orgs.create_organization({"kind": "enterprise", "name": "新公司",
                                      "contact_phone": phone}, actor=admin)
        assert (err.value.field, str(err.value)) == ("contact_phone", message)
    assert count_orgs() == 0


def test_the_admin_form_shows_the_length_rule(web):
    f.user(Role.ADMIN, username="root")
    db.session.commit()
    html = signed_in(web, "root").post("/admin/organizations/new", data={
        "kind": "enterprise", "name": "新公司", "contact_phone": "123"}).text
    assert 'id="contact_phone-err"' in html and LENGTH in html and CHARACTERS not in html
    assert count_orgs() == 0


def test_the_showcase_contact_form_shows_the_length_rule(app, client):
    patent = f.patent(owner=f.org(OrgKind.UNIVERSITY))
    db.session.commit()
    url = f"/showcase/patents/{patent.id}/contact"
    data = {"name": "李四", "organization": "鄂尔多斯某能源公司", "email": "",
            "message": "希望了解许可费用。"}
    short = client.post(url, data={**data, "phone": "12345"}).text
    assert LENGTH in short and CHARACTERS not in short
    words = client.post(url, data={**data, "phone": "找王老师"}).text
    assert CHARACTERS in words and LENGTH not in words
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0


# -- 4. control characters ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "region_county", "contact_name", "contact_phone",
                                   "contact_email", "address", "fields", "credit_code"])
def test_organization_text_refuses_control_characters(app, field):
    admin = f.user(Role.ADMIN)
    values = {"kind": "enterprise", "name": "新公司", field: "0472\x00 5190101"}
    with pytest.raises(ValidationError) as err:
        orgs.create_organization(values, actor=admin)
    assert (err.value.field, str(err.value)) == (field, CONTROL)
    db.session.rollback()
    assert count_orgs() == 0


def test_editing_an_organization_refuses_control_characters(app):
    admin = f.user(Role.ADMIN)
    org = f.org(OrgKind.ENTERPRISE, name="老公司")
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        orgs.update_organization(org, {"kind": "enterprise", "name": "新\x1b[31m公司"},
                                 actor=admin)
    assert err.value.field == "name"
    db.session.rollback()
    assert db.session.get(Organization, org.id).name == "老公司"


def test_the_admin_form_shows_the_control_character_rule(web):
    f.user(Role.ADMIN, username="root")
    db.session.commit()
    html = signed_in(web, "root").post("/admin/organizations/new", data={
        "kind": "enterprise", "name": "新\x00公司"}).text
    assert 'id="name-err"' in html and CONTROL in html
    assert count_orgs() == 0


@pytest.mark.parametrize("field,junk", [("name", "李\x00四"), ("organization", "某\x1b[2J公司"),
                                        ("email", "li\x00@example.org"),
                                        ("message", "希望\x07了解")])
def test_the_showcase_contact_form_refuses_control_characters(app, client, field, junk):
    patent = f.patent(owner=f.org(OrgKind.UNIVERSITY))
    db.session.commit()
    data = {"name": "李四", "organization": "鄂尔多斯某能源公司", "phone": "13812345678",
            "email": "li@example.org", "message": "希望了解许可费用。", field: junk}
    html = client.post(f"/showcase/patents/{patent.id}/contact", data=data).text
    assert f'id="{field}-err"' in html and CONTROL in html
    assert db.session.scalar(select(func.count(ContactRequest.id))) == 0


def test_accounts_refuse_control_characters(app):
    admin = f.user(Role.ADMIN)
    broker = f.user(Role.BROKER)
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        orgs.invite_user(actor=admin, username="newbroker", role=Role.BROKER,
                         display_name="王\x00经纪")
    assert err.value.field == "display_name"
    db.session.rollback()
    with pytest.raises(ValidationError) as err:
        orgs.update_user(broker, actor=admin, role=Role.BROKER, display_name="王经纪",
                         organization=None, email=None, broker_fields="稀土\x1b,风电")
    assert err.value.field == "broker_fields"
