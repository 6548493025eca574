"""Side channels: alerts, the funnel export and /healthz tell no one more than pages do (issue 14, 6)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import (
    Confidentiality,
    EventRegistration,
    EventStatus,
    Match,
    MatchStatus,
    Notification,
    OrgKind,
    Role,
)
from matchmaker.services import alerts
from matchmaker.services.funnel import event_funnel, funnel_csv
from matchmaker.services.pipeline import move
from tests import factories as f
from tests.pairs import client_as
from tests.test_events import event, listing


def _match(need, patent, score, status=MatchStatus.CANDIDATE, broker=None):
    m = Match(need=need, patent=patent, score=score, status=status, channel_scores={},
              explanation={}, broker=broker)
    db.session.add(m)
    db.session.flush()
    return m


def _messages(user) -> list[str]:
    return list(db.session.scalars(select(Notification.message).where(Notification.user_id == user.id)))


# -- alerts ------------------------------------------------------------------------------------


def test_brokers_only_need_goes_to_the_broker_in_scope_who_may_then_open_it(app):
    ent = f.org(OrgKind.ENTERPRISE, name="保密企业")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    covering = f.user(Role.BROKER, username="b_cover", broker_fields="H", broker_regions="包头市")
    outside = f.user(Role.BROKER, username="b_out", broker_fields="A", broker_regions="阿拉善盟")
    patent = f.patent(title="永磁专利", ipc=["H01F 1/057"])
    need = f.need(title="保密需求标题", enterprise=ent, region_league="包头市",
                  confidentiality=Confidentiality.BROKERS)
    _match(need, patent, 0.95)
    db.session.commit()
    alerts.alert_need_posted(need.id)
    db.session.commit()
    assert need.broker_id == covering.id
    assert client_as(app, "b_cover").get(f"/needs/{need.id}").status_code == 200
    assert any("保密需求标题" in m for m in _messages(covering))
    assert _messages(outside) == []
    assert client_as(app, "b_out").get(f"/needs/{need.id}").status_code in (403, 404)


def test_brokers_only_need_without_a_broker_in_scope_goes_to_admin_triage(app):
    ent = f.org(OrgKind.ENTERPRISE, name="保密企业")
    outside = f.user(Role.BROKER, username="b_out", broker_fields="A", broker_regions="阿拉善盟")
    unscoped = f.user(Role.BROKER, username="b_any")
    admin = f.user(Role.ADMIN, username="admin1")
    patent = f.patent(title="永磁专利", ipc=["H01F 1/057"])
    need = f.need(title="保密需求标题", enterprise=ent, region_league="包头市",
                  confidentiality=Confidentiality.BROKERS)
    _match(need, patent, 0.95)
    db.session.commit()
    alerts.alert_need_posted(need.id)
    db.session.commit()
    assert need.broker_id is None
    for broker in (outside, unscoped):  # none may open it: none is told its title or enterprise
        told = " ".join(_messages(broker))
        assert "保密需求标题" not in told and "保密企业" not in told
    assert any("保密需求标题" in m for m in _messages(admin))


def test_an_imports_unroutable_needs_reach_each_admin_in_one_notice(app):
    """A share of an import with many brokers-only needs no broker covers: each administrator
    gets one notice counting them (was one per need: 3,000 rows, 3,000 notices), leading to
    the open brokers-only needs; the needs stay unnamed to brokers."""
    ent = f.org(OrgKind.ENTERPRISE, name="保密企业")
    f.user(Role.BROKER, username="b_out", broker_fields="A", broker_regions="阿拉善盟")
    admins = [f.user(Role.ADMIN, username=f"admin{i}") for i in (1, 2)]
    patent = f.patent(title="永磁专利", ipc=["H01F 1/057"])
    needs = [f.need(title=f"保密需求{i}", enterprise=ent, region_league="包头市",
                    confidentiality=Confidentiality.BROKERS) for i in range(3)]
    for need in needs:
        _match(need, patent, 0.95)
    db.session.commit()
    alerts.alert_needs_posted([n.id for n in needs])
    db.session.commit()
    for admin in admins:
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id == admin.id, Notification.kind == "need_triage")).all()
        assert len(notes) == 1, [n.message for n in notes]
        assert notes[0].message.startswith("3 条") and "保密需求0" in notes[0].message
        assert notes[0].link == "/needs/?confidentiality=brokers&status=open"
    page = client_as(app, "admin1").get(notes[0].link)
    assert page.status_code == 200 and all(f"保密需求{i}" in page.text for i in range(3))


def test_need_form_says_where_a_brokers_only_need_goes(app):
    ent = f.org(OrgKind.ENTERPRISE, region_league="包头市")
    f.user(Role.ENTERPRISE, ent, username="ent1")
    f.user(Role.BROKER, username="b_cover", display_name="王经纪", broker_fields="新材料",
           broker_regions="包头市")
    db.session.commit()
    client = client_as(app, "ent1")
    form = client.get("/needs/new").get_data(as_text=True)
    assert "管理员" in form  # the hint names both routes
    posted = client.post("/needs/new", data={
        "title": "保密的新材料需求", "description": "需要一种新材料工艺的改进方案。",
        "technical_field": "新材料", "region_league": "包头市", "confidentiality": "brokers",
        "cooperation_mode": "transfer"}, follow_redirects=True)
    assert "王经纪" in posted.get_data(as_text=True)


def test_new_patent_alert_names_only_needs_the_broker_may_open(app):
    ent = f.org(OrgKind.ENTERPRISE)
    broker = f.user(Role.BROKER, username="b_ordos", broker_fields="H", broker_regions="鄂尔多斯市")
    hidden = f.need(title="只给经纪人看的需求", enterprise=ent, region_league="鄂尔多斯市",
                    confidentiality=Confidentiality.BROKERS)
    public = f.need(title="公开需求", enterprise=ent, region_league="鄂尔多斯市")
    patent = f.patent(title="新专利", ipc=["H01F 1/08"])
    _match(hidden, patent, 0.9)
    _match(public, patent, 0.8)
    db.session.commit()
    alerts.alert_patent_listed(patent.id)
    db.session.commit()
    [message] = _messages(broker)
    assert "公开需求" in message and "只给经纪人看的需求" not in message


def test_university_alert_does_not_reveal_the_need_title_before_a_recommendation(app):
    uni = f.org(OrgKind.UNIVERSITY)
    uni_user = f.user(Role.UNIVERSITY, uni, username="uni1")
    patent = f.patent(title="大学专利", owner=uni)
    need = f.need(title="企业的公开需求", enterprise=f.org(OrgKind.ENTERPRISE))
    _match(need, patent, 0.95)
    db.session.commit()
    alerts.alert_need_posted(need.id)
    db.session.commit()
    [message] = _messages(uni_user)
    assert "大学专利" in message and "企业的公开需求" not in message
    client = client_as(app, "uni1")
    assert client.get(f"/needs/{need.id}").status_code in (403, 404)


# -- funnel ------------------------------------------------------------------------------------


def _funnel_world():
    e = event(days=-10, status=EventStatus.HELD)
    patent = f.patent(title="上架专利")
    listing(e, patent)
    ent = f.org(OrgKind.ENTERPRISE, name="报名企业")
    db.session.add(EventRegistration(event=e, organization=ent))
    mine = f.user(Role.BROKER, username="b_mine")
    other = f.user(Role.BROKER, username="b_other")
    admin = f.user(Role.ADMIN, username="admin1")
    m = _match(f.need(enterprise=ent), patent, 0.9, broker=mine)
    db.session.commit()
    for to in (MatchStatus.RECOMMENDED, MatchStatus.CONTACTED, MatchStatus.NEGOTIATING):
        move(m, to, None)
    move(m, MatchStatus.SIGNED, None, contract_amount="777.25")
    move(m, MatchStatus.REGISTERED, None, contract_number="150203202600999")
    return e, mine, other, admin


def test_funnel_hides_other_brokers_contract_amounts_and_numbers(app):
    e, mine, other, admin = _funnel_world()
    for viewer, shown in ((other, False), (mine, True), (admin, True)):
        funnel = event_funnel(e, viewer)
        exported = funnel_csv(funnel)
        assert ("777.25" in exported) is shown, viewer.username
        assert ("150203202600999" in exported) is shown, viewer.username
        assert funnel.totals.registered == 1  # the pair still counts for everyone
    client = client_as(app, "b_other")
    page = client.get(f"/events/{e.id}/funnel").get_data(as_text=True)
    assert "777.25" not in page and "150203202600999" not in page
    exported = client.get(f"/events/{e.id}/funnel.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[1][-2:] == ["", ""]


# -- /healthz ----------------------------------------------------------------------------------


def test_healthz_answers_anonymous_callers_with_status_only(app):
    f.patent()
    db.session.commit()
    body = app.test_client().get("/healthz").get_json()
    assert body == {"status": "ok"}


def test_healthz_details_for_admins_and_the_token(app):
    app.config["HEALTH_TOKEN"] = "s3cret-token"
    f.user(Role.ADMIN, username="admin1")
    f.user(Role.BROKER, username="broker1")
    db.session.commit()
    anonymous = app.test_client()
    assert "database" not in anonymous.get("/healthz", headers={"X-Health-Token": "wrong"}).get_json()
    with_token = anonymous.get("/healthz", headers={"X-Health-Token": "s3cret-token"}).get_json()
    assert with_token["database"]["reachable"] is True and "index" in with_token
    assert "database" in client_as(app, "admin1").get("/healthz").get_json()
    assert "database" not in client_as(app, "broker1").get("/healthz").get_json()


def test_new_alert_messages_are_translated(app):
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale("zh_CN"):
        text = _("A brokers-only need from %(org)s awaits a broker: %(need)s", org="甲", need="乙")
    assert text.startswith("甲 发布的仅经纪人可见需求")
