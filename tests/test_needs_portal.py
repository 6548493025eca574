"""Needs pages: role rules, form validation, search, close, find-matches-now, CSRF."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import (
    AuditLog,
    Confidentiality,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    OrgKind,
    Role,
)
from matchmaker.services import matching
from matchmaker.signals import need_posted
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


def signed_in(app, username: str):
    client = app.test_client()
    assert f.login(client, username).status_code == 302
    return client


def count_needs() -> int:
    return db.session.scalar(select(func.count()).select_from(Need))


def form(**overrides) -> dict:
    """A valid need form; override fields to break one rule at a time."""
    data = {
        "title": "高矫顽力烧结钕铁硼磁体开发",
        "description": "现有磁体在150℃下矫顽力不足，希望降低重稀土用量。",
        "technical_field": "稀土永磁",
        "keywords": "钕铁硼, 矫顽力，晶界扩散",
        "budget_min": "50",
        "budget_max": "200",
        "cooperation_mode": "licence",
        "deadline": (date.today() + timedelta(days=60)).isoformat(),
        "region_league": "包头市",
        "region_county": "稀土高新区",
        "confidentiality": "public",
        "external_ref": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def cast(web):
    """An enterprise with a need, another enterprise, a broker, a university and an admin."""
    ent = f.org(OrgKind.ENTERPRISE, name="包头磁材公司", contact_phone="0472-1234567")
    other = f.org(OrgKind.ENTERPRISE, name="鄂尔多斯化工公司", contact_phone="0477-7654321")
    uni = f.org(OrgKind.UNIVERSITY, name="内蒙古科技大学")
    people = {
        "ent": f.user(Role.ENTERPRISE, ent, username="ent1"),
        "other": f.user(Role.ENTERPRISE, other, username="ent2"),
        "broker": f.user(Role.BROKER, username="broker1"),
        "broker2": f.user(Role.BROKER, username="broker2"),
        "uni": f.user(Role.UNIVERSITY, uni, username="uni1"),
        "admin": f.user(Role.ADMIN, username="root"),
    }
    mine = f.need("磁体降本需求", enterprise=ent, region_league="包头市",
                  keywords=["钕铁硼", "晶界扩散"])
    theirs = f.need("煤化工废水处理需求", enterprise=other, keywords=["废水", "煤化工"])
    secret = f.need("保密需求", enterprise=other, confidentiality=Confidentiality.BROKERS,
                    broker=people["broker2"])
    patent = f.patent(owner=uni)
    db.session.commit()
    return {**people, "app": web, "ent_org": ent, "other_org": other, "uni_org": uni, "mine": mine,
            "theirs": theirs, "secret": secret, "patent": patent}


# --- roles --------------------------------------------------------------------------------


def test_enterprise_sees_and_edits_only_its_own_needs(cast):
    client = signed_in(cast["app"], "ent1")
    html = client.get("/needs/").get_data(as_text=True)
    assert "磁体降本需求" in html and "煤化工废水处理需求" not in html
    theirs = cast["theirs"]
    assert client.get(f"/needs/{theirs.id}").status_code == 403
    assert client.get(f"/needs/{theirs.id}/edit").status_code == 403
    response = client.post(f"/needs/{theirs.id}/edit", data=form(title="改掉别人的需求"))
    assert response.status_code == 403
    assert client.post(f"/needs/{theirs.id}/status/closed").status_code == 403
    db.session.refresh(theirs)
    assert theirs.title == "煤化工废水处理需求" and theirs.status is NeedStatus.OPEN
    assert client.get(f"/needs/{cast['mine'].id}").status_code == 200
    assert client.get("/needs/999999").status_code == 404


def test_broker_sees_public_needs_and_only_assigned_confidential_ones(cast):
    secret = cast["secret"]
    broker = signed_in(cast["app"], "broker1")
    assert broker.get(f"/needs/{secret.id}").status_code == 403
    assert "保密需求" not in broker.get("/needs/").get_data(as_text=True)
    assert broker.get(f"/needs/{cast['theirs'].id}").status_code == 200
    # brokers may not post or edit needs (that stays with the enterprise and admins)
    before = count_needs()
    assert broker.post("/needs/new", data=form()).status_code == 403
    assert broker.post(f"/needs/{cast['theirs'].id}/edit", data=form()).status_code == 403
    assert count_needs() == before
    assigned = signed_in(cast["app"], "broker2")
    assert assigned.get(f"/needs/{secret.id}").status_code == 200


def test_university_sees_a_need_only_once_recommended_and_without_contacts(cast):
    client = signed_in(cast["app"], "uni1")
    need = cast["mine"]
    assert client.get(f"/needs/{need.id}").status_code == 403
    assert client.post("/needs/new", data=form()).status_code == 403
    match = Match(need_id=need.id, patent_id=cast["patent"].id, score=0.8,
                  status=MatchStatus.RECOMMENDED)
    db.session.add(match)
    db.session.commit()
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "磁体降本需求" in html and "0472-1234567" not in html
    assert "磁体降本需求" in client.get("/needs/").get_data(as_text=True)


def test_contacts_shown_to_brokers_and_the_owner(cast):
    need = cast["mine"]
    assert "0472-1234567" in signed_in(cast["app"], "broker1").get(
        f"/needs/{need.id}").get_data(as_text=True)
    assert "0472-1234567" in signed_in(cast["app"], "ent1").get(
        f"/needs/{need.id}").get_data(as_text=True)


def test_only_admin_deletes(cast):
    need = cast["mine"]
    assert signed_in(cast["app"], "ent1").post(f"/needs/{need.id}/delete").status_code == 403
    response = signed_in(cast["app"], "root").post(f"/needs/{need.id}/delete")
    assert response.status_code == 302
    assert db.session.get(Need, need.id) is None


def test_delete_refused_while_a_pair_is_in_progress(cast):
    need = cast["mine"]
    db.session.add(Match(need_id=need.id, patent_id=cast["patent"].id, score=0.5,
                         status=MatchStatus.NEGOTIATING))
    db.session.commit()
    signed_in(cast["app"], "root").post(f"/needs/{need.id}/delete")
    assert db.session.get(Need, need.id) is not None


# --- create, edit, close --------------------------------------------------------------------


def test_enterprise_posts_a_need_for_its_own_enterprise(cast):
    posted = []

    def receiver(sender, need_id):
        posted.append(need_id)

    need_posted.connect(receiver)
    try:
        client = signed_in(cast["app"], "ent1")
        response = client.post("/needs/new", data=form(
            enterprise=str(cast["other_org"].id)))  # ignored: not an admin field for them
    finally:
        need_posted.disconnect(receiver)
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == "高矫顽力烧结钕铁硼磁体开发"))
    assert need.enterprise_id == cast["ent_org"].id
    assert need.created_by_id == cast["ent"].id
    assert need.keywords == ["钕铁硼", "矫顽力", "晶界扩散"]
    assert need.budget_min == Decimal("50") and need.budget_max == Decimal("200")
    assert need.region_county == "稀土高新区" and need.status is NeedStatus.OPEN
    assert posted == [need.id]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "need_create"))
    assert audit.target == f"need:{need.id}" and audit.actor_id == cast["ent"].id


def test_a_need_without_budget_or_deadline_is_saved(cast):
    """Empty optional number and date fields are no error (what the browser sends)."""
    client = signed_in(cast["app"], "ent1")
    response = client.post("/needs/new", data=form(budget_min="", budget_max="", deadline=""))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    need = db.session.scalar(select(Need).where(Need.title == "高矫顽力烧结钕铁硼磁体开发"))
    assert need.budget_min is None and need.budget_max is None


def test_admin_posts_for_a_chosen_enterprise_and_assigns_a_broker(cast):
    client = signed_in(cast["app"], "root")
    response = client.post("/needs/new", data=form(
        enterprise=str(cast["other_org"].id), broker=str(cast["broker"].id),
        confidentiality="brokers", external_ref="MKJ-2026-001"))
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.external_ref == "MKJ-2026-001"))
    assert need.enterprise_id == cast["other_org"].id and need.broker_id == cast["broker"].id
    assert need.confidentiality is Confidentiality.BROKERS


def test_edit_close_and_reopen(cast):
    need = cast["mine"]
    client = signed_in(cast["app"], "ent1")
    page = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'value="钕铁硼, 晶界扩散"' in page  # keywords shown as text, not a Python list
    need.deadline = date.today() - timedelta(days=3)  # it passed since the need was posted
    db.session.commit()
    past = need.deadline.isoformat()
    response = client.post(f"/needs/{need.id}/edit", data=form(
        title="磁体降本需求（修订）", deadline=past))  # an old deadline may stay on edit
    assert response.status_code == 302
    db.session.refresh(need)
    assert need.title == "磁体降本需求（修订）"
    assert client.post(f"/needs/{need.id}/status/closed").status_code == 302
    db.session.refresh(need)
    assert need.status is NeedStatus.CLOSED
    client.post(f"/needs/{need.id}/status/open")
    db.session.refresh(need)
    assert need.status is NeedStatus.OPEN


INVALID = [
    ({"title": ""}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"description": ""}, "description"),
    ({"description": "长" * 5001}, "description"),
    ({"technical_field": "长" * 101}, "technical_field"),
    ({"keywords": ",".join(f"词{i}" for i in range(21))}, "keywords"),
    ({"keywords": "长" * 31}, "keywords"),
    ({"budget_min": "300", "budget_max": "100"}, "budget_max"),
    ({"budget_min": "-1"}, "budget_min"),
    ({"budget_max": "很多"}, "budget_max"),
    ({"budget_min": "10", "budget_max": "NaN"}, "budget_max"),  # no amount, no server error
    ({"budget_min": "sNaN"}, "budget_min"),
    ({"budget_max": "9" * 20}, "budget_max"),  # beyond the column: "too large", not "negative"
    ({"title": "需求\x07"}, "title"),
    ({"deadline": (date.today() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"deadline": "2026-13-45"}, "deadline"),
    ({"region_league": "上海市"}, "region_league"),
    ({"cooperation_mode": "barter"}, "cooperation_mode"),
    ({"confidentiality": "secret"}, "confidentiality"),
    ({"region_county": "长" * 41}, "region_county"),
    ({"external_ref": "长" * 41}, "external_ref"),
]


@pytest.mark.parametrize("overrides,field", INVALID, ids=[c[1] + str(i) for i, c in
                                                          enumerate(INVALID)])
def test_each_need_rule_shows_its_error_and_writes_nothing(cast, overrides, field):
    client = signed_in(cast["app"], "ent1")
    before = count_needs()
    html = client.post("/needs/new", data=form(**overrides)).get_data(as_text=True)
    assert f'id="{field}-err"' in html, html[html.find("<main"):][:3000]
    assert 'aria-invalid="true"' in html
    assert count_needs() == before
    if overrides.get(field) in ("很多", "NaN", "sNaN"):  # no number: that alone, no range too
        assert "请输入数字" in html and "不小于" not in html
    if overrides.get(field) == "9" * 20:
        assert "金额过大：最多 999,999,999,999.99 万元。" in html and "不小于" not in html


def test_duplicate_reference_is_reported_next_to_the_field(cast):
    cast["theirs"].external_ref = "MKJ-1"
    db.session.commit()
    client = signed_in(cast["app"], "ent1")
    before = count_needs()
    for ref in ("MKJ-1", "mkj-1"):  # case alone does not make another reference
        html = client.post("/needs/new", data=form(external_ref=ref)).get_data(as_text=True)
        assert 'id="external_ref-err"' in html
    assert count_needs() == before


def test_engine_failure_keeps_the_saved_need_and_warns(cast, monkeypatch):
    from matchmaker.services import matching

    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")

    monkeypatch.setattr(matching, "match_and_store_need", broken)
    client = signed_in(cast["app"], "ent1")
    response = client.post("/needs/new", data=form(title="引擎故障时的需求"), follow_redirects=True)
    assert response.status_code == 200
    assert db.session.scalar(select(Need).where(Need.title == "引擎故障时的需求")) is not None
    assert "flash-warning" in response.get_data(as_text=True)


# --- list: filters, text search, semantic search, pagination --------------------------------


def test_filters_and_text_search(cast):
    cast["theirs"].status = NeedStatus.CLOSED
    cast["theirs"].region_league = "鄂尔多斯市"
    db.session.commit()
    client = signed_in(cast["app"], "broker1")

    def titles(query: str) -> set[str]:
        html = re.sub(r"<[^>]+>", "", client.get("/needs/" + query).get_data(as_text=True))
        return {t for t in ("磁体降本需求", "煤化工废水处理需求", "保密需求") if t in html}

    assert titles("") == {"磁体降本需求", "煤化工废水处理需求"}
    assert titles("?status=closed") == {"煤化工废水处理需求"}
    assert titles("?region=包头市") == {"磁体降本需求"}
    assert titles("?q=废水") == {"煤化工废水处理需求"}  # title or description
    assert titles("?q=晶界扩散") == {"磁体降本需求"}  # only in the JSON keyword list
    assert titles("?q=%25") == set()  # a literal %, not a wildcard
    assert titles("?status=nonsense") == {"磁体降本需求", "煤化工废水处理需求"}


def test_pagination_uses_page_size(cast):
    for i in range(5):
        f.need(f"分页需求{i}", enterprise=cast["ent_org"])
    db.session.commit()
    cast["app"].config["PAGE_SIZE"] = 4
    client = signed_in(cast["app"], "ent1")
    first = client.get("/needs/").get_data(as_text=True)
    second = client.get("/needs/?page=2").get_data(as_text=True)
    assert first.count("/needs/") and "page=2" in first
    on_first = {i for i in range(5) if f"分页需求{i}" in first}
    on_second = {i for i in range(5) if f"分页需求{i}" in second}
    assert len(on_first) == 4 and on_first.isdisjoint(on_second)


def test_semantic_search_ranks_and_respects_visibility(cast):
    matching.rebuild_indexes()  # factories write the database directly: build-index
    client = signed_in(cast["app"], "broker1")
    html = client.get("/needs/?q=煤化工废水&semantic=1").get_data(as_text=True)
    body = html[html.find("<tbody"):html.find("</tbody>")]
    assert "煤化工废水处理需求" in body and "保密需求" not in body
    assert 'class="score"' in body
    rows = re.findall(r'<a href="/needs/(\d+)">', body)
    assert rows[0] == str(cast["theirs"].id)
    # an enterprise's semantic search never shows another enterprise's need
    ent_html = signed_in(cast["app"], "ent1").get("/needs/?q=煤化工废水&semantic=1")
    assert "煤化工废水处理需求" not in ent_html.get_data(as_text=True)


# --- find matches now -----------------------------------------------------------------------


def test_find_matches_now_and_add_to_review_queue(cast):
    uni = cast["uni_org"]
    magnet = f.patent("一种高矫顽力烧结钕铁硼磁体的制备方法", owner=uni,
                      abstract="通过晶界扩散重稀土，提高钕铁硼磁体的矫顽力，降低重稀土用量。")
    f.patent("一种煤矸石制备陶粒的方法", owner=uni, ipc=["C04B 18/12"])
    db.session.commit()
    matching.rebuild_indexes()  # factories write the database directly: build-index
    need = cast["mine"]
    client = signed_in(cast["app"], "broker1")
    html = client.get(f"/needs/{need.id}/matches").get_data(as_text=True)
    table = html[html.find("<tbody"):html.find("</tbody>")]
    first_row = table.split("</tr>")[0]
    assert f'href="/patents/{magnet.id}"' in first_row  # best candidate first
    assert "<mark>" in first_row  # shared terms highlighted
    assert 'class="channels"' in first_row
    assert f'action="/needs/{need.id}/matches/{magnet.id}"' in first_row
    response = client.post(f"/needs/{need.id}/matches/{magnet.id}")
    assert response.status_code == 302
    match = db.session.scalar(select(Match).where(Match.need_id == need.id,
                                                  Match.patent_id == magnet.id))
    assert match.source == "manual" and match.status is MatchStatus.CANDIDATE
    assert match.broker_id == cast["broker"].id and match.score > 0
    assert match.channel_scores and "shared_terms" in match.explanation
    assert [h.to_status for h in match.history] == [MatchStatus.CANDIDATE]
    # a second click does not duplicate the pair
    client.post(f"/needs/{need.id}/matches/{magnet.id}")
    assert db.session.scalar(select(func.count()).select_from(Match).where(
        Match.need_id == need.id, Match.patent_id == magnet.id)) == 1


def test_parties_cannot_queue_and_see_no_unrecommended_patents(cast):
    need = cast["mine"]
    client = signed_in(cast["app"], "ent1")
    page = client.get(f"/needs/{need.id}/matches")  # the engine's ranking is internal
    assert page.status_code == 403 and cast["patent"].title not in page.text
    response = client.post(f"/needs/{need.id}/matches/{cast['patent'].id}")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Match)) == 0
    # a broker cannot run it on a confidential need that is not theirs
    broker = signed_in(cast["app"], "broker1")
    assert broker.get(f"/needs/{cast['secret'].id}/matches").status_code == 403
    assert broker.post(f"/needs/{cast['secret'].id}/matches/{cast['patent'].id}").status_code == 403


def test_engine_failure_on_find_matches_is_a_message_not_a_crash(cast, monkeypatch):
    from matchmaker.services import matching

    def broken(*args, **kwargs):
        raise RuntimeError("encoder missing")

    monkeypatch.setattr(matching, "match_need", broken)
    need, patent = cast["mine"], cast["patent"]
    client = signed_in(cast["app"], "broker1")
    page = client.get(f"/needs/{need.id}/matches")
    assert page.status_code == 200 and 'role="alert"' in page.get_data(as_text=True)
    response = client.post(f"/needs/{need.id}/matches/{patent.id}", follow_redirects=True)
    assert response.status_code == 200 and "flash-danger" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Match)) == 0


# --- CSRF -----------------------------------------------------------------------------------


def test_need_post_without_csrf_token_is_refused(csrf_app):
    isolate(csrf_app)
    f.user(Role.ENTERPRISE, username="ent1")
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"username": "ent1", "password": "password-123",
                                     "csrf_token": token})
    before = count_needs()
    assert client.post("/needs/new", data=form()).status_code == 400
    assert count_needs() == before
    # with the token from the page the same post succeeds
    page = client.get("/needs/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/needs/new", data=form(csrf_token=token)).status_code == 302
    assert count_needs() == before + 1
