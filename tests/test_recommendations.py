"""Recommendations: what enterprises and universities see, never the other side's contacts."""

from __future__ import annotations

import re

import pytest

from matchmaker.extensions import db
from matchmaker.records import Confidentiality, Feedback, MatchStatus, OrgKind, Role
from tests import factories as f
from tests.pairs import cast, client_as, pair

S = MatchStatus


@pytest.fixture
def world(db_app):
    p = cast()
    p["patent"].contact_note = "请联系技术转移中心张老师 13800000000"
    p["match"].status = S.RECOMMENDED
    p["match"].broker = p["broker"]
    # a second, still unreviewed pair of the same need: not shown to the parties yet
    p["hidden"] = pair(need=p["need"], patent=f.patent("一种未审核的专利"), score=0.95)
    # another enterprise's recommended pair: never shown to ent1
    other_org = f.org(OrgKind.ENTERPRISE, contact_phone="0471-9999999")
    p["other_ent"] = f.user(Role.ENTERPRISE, other_org, username="ent2")
    p["foreign"] = pair(need=f.need("别家企业的需求", enterprise=other_org), patent=p["patent"],
                        status=S.CONTACTED)
    db.session.commit()
    return p


def test_enterprise_sees_recommended_patents_without_contacts(world, db_app):
    html = client_as(db_app, "ent1").get("/recommendations/").get_data(as_text=True)
    assert world["patent"].title in html and world["patent"].publication_number in html
    assert "一种未审核的专利" not in html  # candidate pairs stay with the brokers
    assert "别家企业的需求" not in html
    assert "<mark>钕铁硼</mark>" in html  # the explanation's shared terms
    # the owner's contacts never reach the enterprise
    for secret in ("0472-2222222", "tto@example.edu.cn", "13800000000"):
        assert secret not in html
    assert f'name="m{world["match"].id}-feedback"' in html


def test_university_sees_matched_needs_without_enterprise_contacts(world, db_app):
    html = client_as(db_app, "uni1").get("/recommendations/").get_data(as_text=True)
    # both pairs of its patent are recommended or later (titles carry <mark> highlights)
    assert f'id="m{world["match"].id}"' in html and f'id="m{world["foreign"].id}"' in html
    assert world["enterprise_org"].name in html  # public need: the name is shown
    for secret in ("0472-1111111", "0471-9999999"):
        assert secret not in html
    assert "-feedback" not in html  # only enterprises answer


def test_university_does_not_see_who_posted_a_brokers_only_need(world, db_app):
    world["need"].confidentiality = Confidentiality.BROKERS
    db.session.commit()
    html = client_as(db_app, "uni1").get("/recommendations/").get_data(as_text=True)
    assert f'id="m{world["match"].id}"' in html
    assert world["enterprise_org"].name not in html


def test_enterprise_feedback_through_the_page(world, db_app):
    client = client_as(db_app, "ent1")
    mid = world["match"].id
    response = client.post(f"/recommendations/{mid}/feedback",
                           data={f"m{mid}-feedback": "not_interested"})
    assert response.status_code == 400
    assert f'id="m{mid}-reason-err"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert world["match"].enterprise_feedback is None
    response = client.post(f"/recommendations/{mid}/feedback",
                           data={f"m{mid}-feedback": "not_interested", f"m{mid}-reason": "投资太大"})
    assert response.status_code == 302
    db.session.expire_all()
    assert world["match"].enterprise_feedback is Feedback.NOT_INTERESTED
    assert world["match"].feedback_reason == "投资太大"
    # the broker sees the answer on the pair page
    html = client_as(db_app, "broker1").get(f"/queue/{mid}").get_data(as_text=True)
    assert "投资太大" in html
    # and the enterprise sees its answer preselected
    html = client.get("/recommendations/").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="not_interested"', html)


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("ent2", "match", 403),  # another enterprise's pair
        ("ent1", "hidden", 403),  # not recommended yet
        ("uni1", "match", 403),  # universities do not answer
        ("broker1", "match", 403),
        ("ent1", None, 404),
    ],
)
def test_forbidden_feedback(world, db_app, who, target, status):
    mid = world[target].id if target else 999999
    response = client_as(db_app, who).post(
        f"/recommendations/{mid}/feedback", data={f"m{mid}-feedback": "interested"})
    assert response.status_code == status
    db.session.expire_all()
    assert world["match"].enterprise_feedback is None and world["hidden"].enterprise_feedback is None


@pytest.mark.parametrize("who", ["broker1", "admin1"])
def test_brokers_have_no_recommendations_page(world, db_app, who):
    assert client_as(db_app, who).get("/recommendations/").status_code == 403


def test_pagination_of_recommendations(world, db_app):
    db_app.config["PAGE_SIZE"] = 1
    extra = pair(need=world["need"], patent=f.patent("第二个推荐专利"), score=0.2,
                 status=S.NEGOTIATING)
    db.session.commit()
    client = client_as(db_app, "ent1")
    first = client.get("/recommendations/").get_data(as_text=True)
    second = client.get("/recommendations/?page=2").get_data(as_text=True)
    assert world["patent"].title in first and extra.patent.title not in first
    assert extra.patent.title in second


def test_a_recommendation_notifies_the_enterprise_in_its_own_language(world, db_app):
    """The need page promises "you will be notified": the move to 已推荐 does it, in the
    recipient's language whoever recommends, and a candidate pair notifies nobody."""
    from matchmaker.records import Notification
    from matchmaker.services import pipeline

    world["enterprise"].locale = "en"
    chinese = f.user(Role.ENTERPRISE, world["enterprise_org"], username="ent1b")
    db.session.commit()
    assert db.session.query(Notification).count() == 0
    pipeline.move(world["hidden"], S.RECOMMENDED, world["broker"])
    notes = {n.user.username: n for n in db.session.query(Notification)}
    assert set(notes) == {"ent1", "ent1b"}  # the need's enterprise only
    assert notes["ent1"].message.startswith("A broker recommends the patent “一种未审核的专利”")
    assert notes["ent1b"].message.startswith("技术经纪人为您的需求")
    assert notes["ent1b"].link == f"/recommendations/#m{world['hidden'].id}"
    assert chinese.id == notes["ent1b"].user_id
    html = client_as(db_app, "ent1b").get("/notifications/").get_data(as_text=True)
    assert "一种未审核的专利" in html


def test_the_enterprise_answer_notifies_the_broker(world, db_app):
    from matchmaker.records import Notification

    mid = world["match"].id
    client_as(db_app, "ent1").post(f"/recommendations/{mid}/feedback",
                                   data={f"m{mid}-feedback": "not_interested",
                                         f"m{mid}-reason": "投资太大"})
    (note,) = db.session.query(Notification).all()
    assert note.user_id == world["broker"].id and note.link == f"/queue/{mid}"
    assert "无意向" in note.message and "投资太大" in note.message
    html = client_as(db_app, "broker1").get("/notifications/").get_data(as_text=True)
    assert "投资太大" in html
