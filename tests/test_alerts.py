"""Alerts and notifications: the right recipients only, in-portal pages, SMTP on and off."""

from __future__ import annotations

import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from flask import current_app, g, request_started
from sqlalchemy import delete, select

from matchmaker.extensions import db
from matchmaker.records import (
    Confidentiality,
    Match,
    MatchStatus,
    NeedStatus,
    Notification,
    OrgKind,
    Role,
)
from matchmaker.services import alerts, notify
from matchmaker.signals import need_posted, patent_listed
from tests import factories as f


def _fresh_login_cache(sender, **extra):
    g.pop("_login_user", None)


def match(need, patent, score, status=MatchStatus.CANDIDATE):
    db.session.add(
        Match(
            need=need, patent=patent, score=score, status=status, channel_scores={}, explanation={}
        )
    )
    db.session.flush()


def recipients() -> dict[str, list[str]]:
    """username -> kinds of the notifications they got."""
    out: dict[str, list[str]] = {}
    for note in db.session.scalars(select(Notification).order_by(Notification.id)):
        out.setdefault(note.user.username, []).append(note.kind)
    return out


@pytest.fixture
def cast(app):
    """Two universities with patents, enterprises with users, brokers with and without scope."""
    app.config.update(ALERT_MIN_SCORE=0.6, ALERT_TOP_N=1)
    uni_a, uni_b = (
        f.org(OrgKind.UNIVERSITY, name="甲大学"),
        f.org(OrgKind.UNIVERSITY, name="乙大学"),
    )
    people = {
        "uni_a": f.user(Role.UNIVERSITY, uni_a, username="uni_a", email="a@uni.example"),
        "uni_a_off": f.user(Role.UNIVERSITY, uni_a, username="uni_a_off", active=False),
        "uni_b": f.user(Role.UNIVERSITY, uni_b, username="uni_b"),
        "ent": f.user(Role.ENTERPRISE, username="ent"),
        "ent_other": f.user(Role.ENTERPRISE, username="ent_other"),
        "b_assigned": f.user(Role.BROKER, username="b_assigned", email="assigned@broker.example"),
        "b_baotou": f.user(
            Role.BROKER, username="b_baotou", broker_fields="H,C", broker_regions="包头市"
        ),
        "b_ordos": f.user(
            Role.BROKER, username="b_ordos", broker_fields="H", broker_regions="鄂尔多斯市"
        ),
        "b_off": f.user(Role.BROKER, username="b_off", active=False),
    }
    people["strong"] = f.patent(title="强匹配专利", owner=uni_a, ipc=["H01F 1/057"])
    people["second"] = f.patent(title="次强匹配专利", owner=uni_a, ipc=["H01F 41/02"])
    people["weak"] = f.patent(title="弱匹配专利", owner=uni_b, ipc=["A01B 1/00"])
    db.session.commit()
    return people


def posted_need(people, **kw):
    need = f.need(title="高矫顽力磁体需求", enterprise=people["ent"].organization, **kw)
    match(need, people["strong"], 0.82)
    match(need, people["second"], 0.61)  # above the threshold though not top-1
    match(need, people["weak"], 0.30)  # neither top-1 nor above the threshold
    db.session.commit()
    return need


def test_new_need_with_assigned_broker(cast):
    need = posted_need(cast, broker=cast["b_assigned"], region_league="包头市")
    need_posted.send(current_app._get_current_object(), need_id=need.id)
    got = recipients()
    assert got == {"uni_a": ["need_posted"], "b_assigned": ["need_posted"]}
    [message] = db.session.scalars(
        select(Notification.message).where(Notification.user_id == cast["uni_a"].id)
    )
    assert "强匹配专利" in message and "次强匹配专利" in message
    # Universities learn neither who posted nor what, until a broker recommends the pair.
    assert "高矫顽力磁体需求" not in message and cast["ent"].organization.name not in message


def test_new_need_goes_to_covering_brokers_else_all(cast):
    need = posted_need(cast, region_league="包头市")
    alerts.alert_need_posted(need.id)
    db.session.commit()
    assert set(recipients()) == {"uni_a", "b_baotou"}
    db.session.execute(delete(Notification))
    nobody = posted_need(cast, region_league="阿拉善盟")  # no broker covers this region
    alerts.alert_need_posted(nobody.id)
    db.session.commit()
    assert set(recipients()) == {"uni_a", "b_assigned", "b_baotou", "b_ordos"}  # not b_off


def test_brokers_only_need_tells_no_university(cast):
    need = posted_need(cast, region_league="包头市", confidentiality=Confidentiality.BROKERS)
    alerts.alert_need_posted(need.id)
    db.session.commit()
    # Routed to b_baotou, whose fields and region cover it: the only one who may open it.
    assert set(recipients()) == {"b_baotou"}
    assert need.broker_id == cast["b_baotou"].id


def test_new_patent_tells_brokers_of_matching_open_needs_only(cast):
    patent = f.patent(title="新上架专利", owner=cast["uni_a"].organization, ipc=["H01F 1/08"])
    ent_org = cast["ent"].organization
    assigned = f.need(title="甲需求", enterprise=ent_org, broker=cast["b_assigned"])
    unassigned = f.need(title="乙需求", enterprise=ent_org, region_league="鄂尔多斯市")
    closed = f.need(
        title="丙需求", enterprise=ent_org, status=NeedStatus.CLOSED, broker=cast["b_baotou"]
    )
    match(assigned, patent, 0.9)
    match(unassigned, patent, 0.7)
    match(closed, patent, 0.95)
    db.session.commit()
    patent_listed.send(current_app._get_current_object(), patent_id=patent.id)
    assert recipients() == {"b_assigned": ["patent_listed"], "b_ordos": ["patent_listed"]}
    [message] = db.session.scalars(
        select(Notification.message).where(Notification.user_id == cast["b_ordos"].id)
    )
    assert "新上架专利" in message and "乙需求" in message and "甲需求" not in message


def test_patents_listed_together_tell_each_broker_once(cast):
    """An import's new patents: one notice per broker for the lot (a 3,000-row upload sent
    one broker 2,106, QA stop 34), naming the patent that matches most of the broker's needs;
    a patent announced before is left out, and one patent alone reads as before."""
    from matchmaker.services.announcements import announce_new

    uni, ent_org = cast["uni_a"].organization, cast["ent"].organization
    first = f.need(title="甲需求", enterprise=ent_org, broker=cast["b_assigned"])
    second = f.need(title="乙需求", enterprise=ent_org, broker=cast["b_assigned"])
    other = f.need(title="丙需求", enterprise=ent_org, region_league="鄂尔多斯市")
    patents = [f.patent(title=f"批量专利{i}", owner=uni, ipc=["H01F 1/08"]) for i in range(4)]
    for patent in patents:
        match(first, patent, 0.9)
    match(second, patents[2], 0.8)  # the patent matching most of b_assigned's needs
    match(other, patents[0], 0.9)
    db.session.commit()
    announce_new("patents", [patents[0].id])  # listed alone before the import's lot
    assert recipients() == {"b_assigned": ["patent_listed"], "b_ordos": ["patent_listed"]}
    db.session.execute(delete(Notification))
    db.session.commit()
    announce_new("patents", [p.id for p in patents])
    assert recipients() == {"b_assigned": ["patent_listed"]}  # b_ordos: only patents[0], told
    [note] = db.session.scalars(select(Notification))
    assert note.message.startswith("3 项新上架专利与您负责的未结需求强匹配")
    assert "“批量专利2”匹配“甲需求”、“乙需求”" in note.message and note.link == "/queue/"
    announce_new("patents", [p.id for p in patents])  # a share run again: nobody twice
    assert recipients() == {"b_assigned": ["patent_listed"]}


def test_needs_posted_together_tell_each_recipient_once(cast):
    """An import's new needs: one notice per university user and per broker for the lot,
    naming the need with the most strong candidates; a need alone reads as before."""
    from matchmaker.services.announcements import announce_new

    ent_org = cast["ent"].organization
    needs = [f.need(title=f"批量需求{i}", enterprise=ent_org, broker=cast["b_assigned"])
             for i in range(3)]
    for need in needs:
        match(need, cast["strong"], 0.82)
    match(needs[1], cast["second"], 0.85)  # two strong candidates: the one named
    db.session.commit()
    announce_new("needs", [n.id for n in needs])
    assert recipients() == {"uni_a": ["need_posted"], "b_assigned": ["need_posted"]}
    told = {n.user.username: n for n in db.session.scalars(select(Notification))}
    assert told["b_assigned"].message == (
        f"3 条可由您处理的新技术需求，其中包括{ent_org.name}的“批量需求1”（2 项强匹配专利）。")
    assert told["b_assigned"].link == "/needs/"
    university = told["uni_a"].message
    assert university.startswith("有 3 条新发布的技术需求与贵单位的专利匹配（包括")
    assert "“强匹配专利”" in university and "“次强匹配专利”" in university
    assert "批量需求" not in university  # the needs stay unnamed to universities
    announce_new("needs", [n.id for n in needs])  # a share run again: nobody twice
    assert recipients() == {"uni_a": ["need_posted"], "b_assigned": ["need_posted"]}


def test_a_record_announced_again_alerts_nobody_twice(cast):
    """A job killed after its alerts were committed runs again (and an import's retry counts
    the rows its killed attempt wrote as created): the second announcement adds nothing."""
    app = current_app._get_current_object()
    need = posted_need(cast, broker=cast["b_assigned"])
    need_posted.send(app, need_id=need.id)
    need_posted.send(app, need_id=need.id)
    assert recipients() == {"uni_a": ["need_posted"], "b_assigned": ["need_posted"]}
    patent = f.patent(title="新上架专利", owner=cast["uni_a"].organization, ipc=["H01F 1/08"])
    match(f.need(title="甲需求", enterprise=cast["ent"].organization,
                 broker=cast["b_ordos"]), patent, 0.9)
    db.session.commit()
    patent_listed.send(app, patent_id=patent.id)
    patent_listed.send(app, patent_id=patent.id)
    assert recipients()["b_ordos"] == ["patent_listed"]


def test_an_announcement_rolled_back_is_made_by_the_retry(cast):
    """The claim is written with the notifications: an attempt that died before its commit
    leaves nothing behind, so the retry alerts."""
    need = posted_need(cast, broker=cast["b_assigned"])
    assert alerts.alert_need_posted(need.id)
    db.session.rollback()  # the worker died before the job's commit
    assert recipients() == {}
    need_posted.send(current_app._get_current_object(), need_id=need.id)
    assert recipients() == {"uni_a": ["need_posted"], "b_assigned": ["need_posted"]}


def test_a_failing_alert_never_breaks_the_sender(cast, monkeypatch, caplog):
    need = posted_need(cast)

    def boom(need_id):
        raise RuntimeError("alert exploded")

    monkeypatch.setattr(alerts, "alert_need_posted", boom)
    need_posted.send(current_app._get_current_object(), need_id=need.id)  # no exception
    assert "alert exploded" in caplog.text
    assert recipients() == {}
    assert db.session.get(type(need), need.id).title == "高矫顽力磁体需求"


def test_notification_pages(cast, app):
    notify.notify(cast["b_assigned"], "need_posted", "第一条")
    notify.notify(cast["b_assigned"], "need_posted", "第二条", link="/events/")
    other = notify.notify(cast["b_baotou"], "need_posted", "别人的")
    db.session.commit()
    request_started.connect(_fresh_login_cache, app)
    client = app.test_client()
    f.login(client, "b_assigned")
    page = client.get("/notifications/")
    assert "第一条" in page.text and "第二条" in page.text and "别人的" not in page.text
    assert "全部标为已读" in page.text  # the Chinese catalog is merged in
    assert notify.unread_count(cast["b_assigned"]) == 2
    assert client.post(f"/notifications/{other.id}/read").status_code == 404
    assert db.session.get(Notification, other.id).read_at is None
    first = db.session.scalar(select(Notification).where(Notification.message == "第二条"))
    follow = client.post(f"/notifications/{first.id}/read", data={"follow": "1"})
    assert follow.headers["Location"].endswith("/events/")
    assert notify.unread_count(cast["b_assigned"]) == 1
    client.post("/notifications/read")
    assert notify.unread_count(cast["b_assigned"]) == 0
    assert notify.unread_count(cast["b_baotou"]) == 1


def test_a_notice_speaks_the_language_its_reader_reads_now(cast, app):
    """Notices were stored as text in the recipient's language of that moment: a broker who
    switched saw both languages on one page (QA, stop 34). The msgid and parameters are kept:
    the page and the API render them again; a notice stored before shows its text."""
    broker = cast["b_assigned"]
    need = posted_need(cast, broker=broker)
    alerts.alert_need_posted(need.id)
    notify.notify(broker, "need_posted", "旧通知：只有文字")  # as stored before this change
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == broker.id, Notification.reason.is_not(None))).all()
    assert notes, "no notice kept its msgid"
    note = notes[0]
    assert "发布了新技术需求" in note.message and note.reason["msgid"].startswith("New technical")
    request_started.connect(_fresh_login_cache, app)
    client = app.test_client()
    f.login(client, "b_assigned")
    assert "发布了新技术需求" in client.get("/notifications/").text
    broker.locale = "en"
    db.session.commit()
    page = client.get("/notifications/").text
    assert "New technical need from" in page and "高矫顽力磁体需求" in page
    assert "发布了新技术需求" not in page and "旧通知：只有文字" in page
    from tests.api_support import bearer, token_for

    listed = client.get("/api/v1/notifications", headers=bearer(token_for(broker))).get_json()
    assert any(i["message"].startswith("New technical need from") for i in listed["items"])


# -- e-mail through a local fake SMTP server -----------------------------------------------------


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default_policy))
        )
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.mark.parametrize("enabled", [True, False])
def test_email_is_sent_only_when_enabled(cast, app, smtp_server, enabled):
    inbox, port = smtp_server
    app.config.update(
        MAIL_ENABLED=enabled,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        MAIL_FROM="matchmaker@example.org",
    )
    need = posted_need(cast, broker=cast["b_assigned"])
    need_posted.send(current_app._get_current_object(), need_id=need.id)
    notes = {n.user.username: n for n in db.session.scalars(select(Notification))}
    assert set(notes) == {"uni_a", "b_assigned"}
    if not enabled:
        assert inbox.messages == [] and not any(n.emailed for n in notes.values())
        return
    assert sorted(rcpt for rcpts, _msg in inbox.messages for rcpt in rcpts) == [
        "a@uni.example",
        "assigned@broker.example",
    ]
    body = {rcpts[0]: msg.get_content() for rcpts, msg in inbox.messages}
    assert "高矫顽力磁体需求" in body["assigned@broker.example"]
    subjects = {rcpts[0]: str(msg["Subject"]) for rcpts, msg in inbox.messages}
    assert subjects["assigned@broker.example"].startswith("[科技成果撮合平台] ")  # one language
    assert all(n.emailed for n in notes.values())


def test_smtp_server_down_keeps_the_notification(cast, app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens here once the socket closes
    app.config.update(MAIL_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port)
    need = posted_need(cast, broker=cast["b_assigned"])
    need_posted.send(current_app._get_current_object(), need_id=need.id)
    notes = list(db.session.scalars(select(Notification)))
    assert len(notes) == 2 and not any(n.emailed for n in notes)
