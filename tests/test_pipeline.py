"""The pipeline service: every transition, history, assignment, notes and enterprise feedback."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.errors import PermissionDenied, TransitionError, ValidationError
from matchmaker.extensions import db
from matchmaker.records import (
    AuditLog,
    Feedback,
    Match,
    MatchHistory,
    MatchNote,
    MatchStatus,
    NeedStatus,
    RejectionReason,
    Role,
)
from matchmaker.services import pipeline
from matchmaker.signals import match_moved
from tests import factories as f
from tests.pairs import cast, client_as, pair

S = MatchStatus
# What each status needs to move forward, so a test can walk the whole path.
FORWARD = [
    (S.CANDIDATE, S.RECOMMENDED, {}),
    (S.RECOMMENDED, S.CONTACTED, {}),
    (S.CONTACTED, S.NEGOTIATING, {}),
    (S.NEGOTIATING, S.SIGNED, {"contract_amount": "12.5"}),
    (S.SIGNED, S.REGISTERED, {"contract_number": "150203202600123"}),
]
# A refused target for every status.
REFUSED = {
    S.CANDIDATE: S.CONTACTED,
    S.RECOMMENDED: S.SIGNED,
    S.CONTACTED: S.REGISTERED,
    S.NEGOTIATING: S.CANDIDATE,
    S.SIGNED: S.NEGOTIATING,
    S.REGISTERED: S.REJECTED,
    S.REJECTED: S.RECOMMENDED,
}


@pytest.fixture
def people(db_app):
    return cast()


def test_walk_the_whole_path_with_history(people):
    match, broker = people["match"], people["broker"]
    before = match.status_changed_at
    for frm, to, extra in FORWARD:
        assert match.status is frm
        assert to in pipeline.allowed_moves(match)
        entry = pipeline.move(match, to, broker, reason=f"step to {to.value}", **extra)
        assert match.status is to
        assert (entry.from_status, entry.to_status, entry.actor_id) == (frm, to, broker.id)
        assert entry.reason == f"step to {to.value}"
        assert match.status_changed_at >= before
    assert match.contract_amount == Decimal("12.50")
    assert match.contract_number == "150203202600123"
    assert match.broker_id == broker.id  # acting on an unassigned pair takes it
    rows = db.session.scalars(
        select(MatchHistory).where(MatchHistory.match_id == match.id).order_by(MatchHistory.id)
    ).all()
    assert [(r.from_status, r.to_status) for r in rows] == [(a, b) for a, b, _ in FORWARD]
    assert pipeline.allowed_moves(match) == []
    audit = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "match_move"))
    assert len(audit.all()) == len(FORWARD)


@pytest.mark.parametrize("start", list(REFUSED))
def test_a_refused_move_per_status_changes_nothing(people, start):
    match = people["match"]
    match.status = start
    db.session.commit()
    with pytest.raises(TransitionError):
        pipeline.move(match, REFUSED[start], people["admin"], reason="x", contract_amount="1",
                      contract_number="150203202600123", rejection_reason="not_relevant")
    db.session.expire_all()
    assert match.status is start
    assert db.session.scalar(select(MatchHistory.id)) is None


@pytest.mark.parametrize("start", [S.CANDIDATE, S.RECOMMENDED, S.CONTACTED, S.NEGOTIATING, S.SIGNED])
def test_rejection_from_every_open_stage(people, start):
    match = people["match"]
    match.status = start
    db.session.commit()
    entry = pipeline.move(match, S.REJECTED, people["admin"],
                          rejection_reason=RejectionReason.PRICE_TERMS, note="报价过高")
    assert match.status is S.REJECTED
    assert match.rejection_reason is RejectionReason.PRICE_TERMS
    assert match.rejection_note == "报价过高"
    assert pipeline.split_history_reason(entry) == (RejectionReason.PRICE_TERMS, "报价过高")


def test_rejection_requires_a_reason_and_other_requires_text(people):
    match, broker = people["match"], people["broker"]
    with pytest.raises(ValidationError) as missing:
        pipeline.move(match, S.REJECTED, broker)
    assert missing.value.field == "rejection_reason"
    with pytest.raises(ValidationError):
        pipeline.move(match, S.REJECTED, broker, rejection_reason="no-such-reason")
    with pytest.raises(ValidationError) as other:
        pipeline.move(match, S.REJECTED, broker, rejection_reason=RejectionReason.OTHER, note="  ")
    assert other.value.field == "note"
    db.session.expire_all()
    assert match.status is S.CANDIDATE and match.broker_id is None
    pipeline.move(match, S.REJECTED, broker, rejection_reason="other", note="企业已转产")
    assert (match.rejection_reason, match.rejection_note) == (RejectionReason.OTHER, "企业已转产")


def test_signing_requires_an_amount_and_updates_need_and_patent(people):
    match, broker = people["match"], people["broker"]
    match.status = S.NEGOTIATING
    db.session.commit()
    for bad in (None, "", "0", "-3", "abc", "1e20"):
        with pytest.raises(ValidationError) as err:
            pipeline.move(match, S.SIGNED, broker, contract_amount=bad)
        assert err.value.field == "contract_amount"
        if bad == "1e20":  # above zero: the message says what is wrong with it
            assert "too large" in str(err.value) and "above zero" not in str(err.value)
    assert people["patent"].dormant is True
    pipeline.move(match, S.SIGNED, broker, contract_amount=Decimal("30"))
    assert match.contract_amount == Decimal("30.00")
    assert people["need"].status is NeedStatus.MATCHED
    assert people["patent"].dormant is False


def test_registration_requires_amount_and_number(people):
    match, broker = people["match"], people["broker"]
    match.status = S.SIGNED
    db.session.commit()
    with pytest.raises(ValidationError) as no_amount:
        pipeline.move(match, S.REGISTERED, broker, contract_number="150203202600123")
    assert no_amount.value.field == "contract_amount"
    for bad in (None, "123", "15020320260012345678X", "1502-0320-2600-123!"):
        with pytest.raises(ValidationError) as no_number:
            pipeline.move(match, S.REGISTERED, broker, contract_amount="8",
                          contract_number=bad)
        assert no_number.value.field == "contract_number"
    db.session.expire_all()
    assert match.status is S.SIGNED and match.contract_number is None
    pipeline.move(match, S.REGISTERED, broker, contract_amount="8",
                  contract_number=" 1502 0320 2600 123a ")
    assert match.contract_number == "150203202600123A"
    assert match.contract_amount == Decimal("8.00")


def test_reopen_needs_a_reason_and_clears_the_rejection(people):
    match, broker = people["match"], people["broker"]
    pipeline.move(match, S.REJECTED, broker, rejection_reason="too_early")
    with pytest.raises(ValidationError) as err:
        pipeline.move(match, S.CANDIDATE, broker)
    assert err.value.field == "reason"
    pipeline.move(match, S.CANDIDATE, broker, reason="企业重新启动项目")
    assert match.status is S.CANDIDATE
    assert match.rejection_reason is None and match.rejection_note is None


def test_cancelling_a_signed_contract_reopens_the_need(people):
    match = people["match"]
    match.status = S.NEGOTIATING
    db.session.commit()
    pipeline.move(match, S.SIGNED, None, contract_amount="5")
    assert people["need"].status is NeedStatus.MATCHED
    pipeline.move(match, S.REJECTED, None, rejection_reason="price_terms")
    assert people["need"].status is NeedStatus.OPEN


def test_signing_and_cancelling_keep_the_needs_index_in_line(people):
    """Only open needs are indexed: signing takes the need out, cancelling brings it back."""
    from matchmaker.services import matching

    match, need = people["match"], people["need"]
    match.status = S.NEGOTIATING
    db.session.commit()
    matching.rebuild_indexes()

    def found() -> bool:
        return need.id in [hit.id for hit in matching.search_needs(need.title, 10)]

    def needs_index_state() -> str:
        collections = matching.index_status()["collections"]
        return next(c["state"] for c in collections if c["name"] == "needs-bm25")

    assert found() and needs_index_state() == "built"
    pipeline.move(match, S.SIGNED, None, contract_amount="5")
    assert not found() and needs_index_state() == "built"  # not "stale"
    pipeline.move(match, S.REJECTED, None, rejection_reason="price_terms")
    assert need.status is NeedStatus.OPEN
    assert found() and needs_index_state() == "built"


@pytest.mark.parametrize("who", ["university", "enterprise", "other_broker"])
def test_only_the_assigned_broker_or_admin_may_move(people, who):
    match = people["match"]
    match.broker = people["broker"]
    db.session.commit()
    with pytest.raises(PermissionDenied):
        pipeline.move(match, S.RECOMMENDED, people[who])
    db.session.expire_all()
    assert match.status is S.CANDIDATE
    pipeline.move(match, S.RECOMMENDED, people["admin"])
    assert match.status is S.RECOMMENDED and match.broker_id == people["broker"].id


def test_a_stale_pair_is_not_moved_twice(people):
    match = people["match"]
    match_id = sa_inspect(match).identity[0]  # without a query: this session holds no lock
    # Someone else rejects the pair through another connection...
    with db.engine.begin() as conn:
        conn.execute(update(Match).where(Match.id == match_id).values(status=S.REJECTED))
    # ...while this session still holds the page it loaded before (status: candidate).
    set_committed_value(match, "status", S.CANDIDATE)
    with pytest.raises(TransitionError):
        pipeline.move(match, S.RECOMMENDED, people["admin"])
    assert db.session.scalar(select(Match.status).where(Match.id == match.id)) is S.REJECTED
    assert db.session.scalar(select(MatchHistory.id)) is None


def test_signal_is_sent_after_commit_and_a_failing_receiver_keeps_the_move(people, db_app):
    seen = []

    def receiver(sender, **kw):
        # The move is visible from a fresh connection: it was committed before the signal.
        # (Autocommit: a plain read, as SQLite transactions start with the write lock.)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            kw["stored"] = conn.scalar(select(Match.status).where(Match.id == kw["match_id"]))
        seen.append(kw)
        raise RuntimeError("subscriber bug")

    match = people["match"]
    with match_moved.connected_to(receiver, sender=db_app):
        pipeline.move(match, S.RECOMMENDED, people["broker"])
    assert seen == [{"match_id": match.id, "from_status": S.CANDIDATE, "to_status": S.RECOMMENDED,
                     "actor_id": people["broker"].id, "need_id": match.need_id,
                     "need_status_changed": False, "restored": False,
                     "stored": S.RECOMMENDED}]
    db.session.expire_all()
    assert match.status is S.RECOMMENDED


def test_assign_and_reassign_write_history(people):
    match, admin = people["match"], people["admin"]
    pipeline.assign(match, people["broker"], admin, reason="熟悉稀土")
    assert match.broker_id == people["broker"].id
    pipeline.assign(match, people["other_broker"], people["broker"])
    assert match.broker_id == people["other_broker"].id
    rows = db.session.scalars(select(MatchHistory).order_by(MatchHistory.id)).all()
    assert [r.reason for r in rows] == [
        "assign: - -> broker1 (熟悉稀土)",
        "assign: broker1 -> broker2",
    ]
    assert all(pipeline.is_assignment(r) and r.to_status is S.CANDIDATE for r in rows)
    assert [r.actor_id for r in rows] == [admin.id, people["broker"].id]
    # the previous broker no longer works it
    with pytest.raises(PermissionDenied):
        pipeline.assign(match, people["broker"], people["broker"])


def test_assign_refuses_inactive_and_non_brokers(people):
    match, admin = people["match"], people["admin"]
    sleeper = f.user(Role.BROKER, active=False)
    for target in (sleeper, people["enterprise"], people["admin"]):
        with pytest.raises(ValidationError):
            pipeline.assign(match, target, admin)
    pipeline.assign(match, people["broker"], admin)
    with pytest.raises(ValidationError):
        pipeline.assign(match, people["broker"], admin)  # already theirs
    assert len(db.session.scalars(select(MatchHistory)).all()) == 1


def test_notes(people):
    match = people["match"]
    note = pipeline.add_note(match, people["broker"], "  已电话联系企业技术负责人  ")
    assert note.body == "已电话联系企业技术负责人" and note.author_id == people["broker"].id
    with pytest.raises(ValidationError):
        pipeline.add_note(match, people["broker"], "   ")
    with pytest.raises(ValidationError):  # nothing visible: a zero-width space and a BOM
        pipeline.add_note(match, people["broker"], "\u200b \ufeff")
    with pytest.raises(ValidationError):
        pipeline.add_note(match, people["broker"], "长" * (pipeline.NOTE_LIMIT + 1))
    with pytest.raises(PermissionDenied):
        pipeline.add_note(match, people["enterprise"], "想看")
    assert len(db.session.scalars(select(MatchNote)).all()) == 1


def test_a_move_can_carry_a_note(people):
    pipeline.move(people["match"], S.RECOMMENDED, people["broker"], note="推荐给企业")
    assert db.session.scalar(select(MatchNote.body)) == "推荐给企业"


def test_enterprise_feedback(people):
    match, ent = people["match"], people["enterprise"]
    with pytest.raises(PermissionDenied):  # not yet recommended: the enterprise cannot see it
        pipeline.record_feedback(match, ent, Feedback.INTERESTED, None)
    pipeline.move(match, S.RECOMMENDED, people["broker"])
    with pytest.raises(ValidationError) as err:
        pipeline.record_feedback(match, ent, Feedback.NOT_INTERESTED, "")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError):
        pipeline.record_feedback(match, ent, "maybe", "")
    stranger = f.user(Role.ENTERPRISE)
    for who in (stranger, people["broker"], people["university"]):
        with pytest.raises(PermissionDenied):
            pipeline.record_feedback(match, who, Feedback.INTERESTED, None)
    pipeline.record_feedback(match, ent, "not_interested", "工艺不适合我厂设备")
    db.session.expire_all()
    assert match.enterprise_feedback is Feedback.NOT_INTERESTED
    assert match.feedback_reason == "工艺不适合我厂设备"
    pipeline.record_feedback(match, ent, Feedback.INTERESTED, None)
    assert match.enterprise_feedback is Feedback.INTERESTED


def test_system_moves_have_no_actor(people):
    other = pair(need=people["need"], score=0.3)
    db.session.commit()
    entry = pipeline.move(other, S.RECOMMENDED, None)
    assert entry.actor_id is None and other.broker_id is None


# ---- the pipeline pages: POST forms, board, table -------------------------------------------


def _post_move(client, match, to, **fields):
    data = {f"{to}-{name}": value for name, value in fields.items()}
    return client.post(f"/pipeline/{match.id}/move/{to}", data=data)


def test_move_through_the_pages_to_registered(people, db_app):
    match = people["match"]
    client = client_as(db_app, "broker1")
    for to in ("recommended", "contacted", "negotiating"):
        response = _post_move(client, match, to, reason=f"到{to}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/queue/{match.id}"
    assert _post_move(client, match, "signed", contract_amount="45.5").status_code == 302
    response = _post_move(client, match, "registered", contract_amount="45.5",
                          contract_number="150203202600123")
    assert response.status_code == 302
    db.session.expire_all()
    assert match.status is S.REGISTERED and match.contract_number == "150203202600123"
    html = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert html.count('<li><span class="muted">') == 6  # proposed + five moves in the timeline
    assert "到contacted" in html and "/move/" not in html  # nothing left to do


@pytest.mark.parametrize(
    ("start", "to", "fields", "bad_field"),
    [
        (S.NEGOTIATING, "signed", {}, "contract_amount"),
        (S.NEGOTIATING, "signed", {"contract_amount": "-2"}, "contract_amount"),
        (S.NEGOTIATING, "signed", {"contract_amount": "abc"}, "contract_amount"),
        (S.SIGNED, "registered", {"contract_amount": "3"}, "contract_number"),
        (S.SIGNED, "registered", {"contract_amount": "3", "contract_number": "12ab"}, "contract_number"),
        (S.CANDIDATE, "rejected", {}, "rejection_reason"),
        (S.CANDIDATE, "rejected", {"rejection_reason": "other"}, "note"),
        (S.REJECTED, "candidate", {"reason": "  "}, "reason"),
    ],
)
def test_invalid_move_forms_show_the_error_and_change_nothing(people, db_app, start, to, fields,
                                                             bad_field):
    match = people["match"]
    match.status = start
    db.session.commit()
    response = _post_move(client_as(db_app, "broker1"), match, to, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{to}-{bad_field}-err"' in html  # the error sits next to its field
    db.session.expire_all()
    assert match.status is start
    assert db.session.scalar(select(MatchHistory.id)) is None


def test_a_move_the_state_machine_refuses_is_reported(people, db_app):
    client = client_as(db_app, "broker1")
    response = _post_move(client, people["match"], "signed", contract_amount="5")
    assert response.status_code == 302
    assert "flash-danger" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert people["match"].status is S.CANDIDATE
    assert client.post(f"/pipeline/{people['match'].id}/move/nonsense").status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("uni1", "move/recommended", 403),
        ("ent1", "move/recommended", 403),
        ("broker2", "move/recommended", 403),  # the pair is assigned to broker1
        ("broker2", "assign", 403),
        ("broker2", "note", 403),
        ("ent1", "note", 403),
        (None, "move/recommended", 302),  # to the login page
    ],
)
def test_forbidden_posts(people, db_app, who, path, status):
    match = people["match"]
    match.broker = people["broker"]
    db.session.commit()
    client = client_as(db_app, who)
    response = client.post(f"/pipeline/{match.id}/{path}", data={
        "assign-broker": people["other_broker"].id, "note-body": "x"})
    assert response.status_code == status
    db.session.expire_all()
    assert match.status is S.CANDIDATE and match.broker_id == people["broker"].id
    assert db.session.scalar(select(MatchNote.id)) is None


def test_assign_and_note_through_the_page(people, db_app):
    match = people["match"]
    client = client_as(db_app, "admin1")
    response = client.post(f"/pipeline/{match.id}/assign",
                           data={"assign-broker": people["broker"].id, "assign-reason": "熟悉稀土"})
    assert response.status_code == 302
    assert client.post(f"/pipeline/{match.id}/assign", data={"assign-broker": ""}).status_code == 400
    response = client.post(f"/pipeline/{match.id}/note", data={"note-body": "已约企业下周座谈"})
    assert response.status_code == 302
    # from a filtered queue, the note keeps the queue's filters (back link and next pair)
    q = "status=all&sort=age"
    assert f'name="q" value="{q}"'.replace("&", "&amp;") in client.get(
        f"/queue/{match.id}?q=status%3Dall%26sort%3Dage").get_data(as_text=True)
    kept = client.post(f"/pipeline/{match.id}/note", data={"note-body": "二", "q": q})
    second = db.session.scalar(select(MatchNote.id).where(MatchNote.body == "二"))
    # the page opens at the new note (the "added" message at its top is out of sight there)
    assert kept.headers["Location"] == (f"/queue/{match.id}?q=status%3Dall%26sort%3Dage"
                                        f"#note-{second}")
    assert f'id="note-{second}"' in client.get(kept.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/pipeline/{match.id}/note", data={"note-body": "  "}).status_code == 400
    html = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert "已约企业下周座谈" in html and "熟悉稀土" in html
    db.session.expire_all()
    assert match.broker_id == people["broker"].id


def _broker_with_csrf(app):
    """broker1 signed in through the login form, CSRF protection on."""
    client = client_as(app, None)
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"username": "broker1", "password": "password-123",
                                     "csrf_token": token})
    return client


def test_csrf_refuses_a_move_without_token(csrf_app):
    people = cast()
    client = _broker_with_csrf(csrf_app)
    match = people["match"]
    assert client.post(f"/pipeline/{match.id}/move/recommended").status_code == 400
    db.session.expire_all()
    assert match.status is S.CANDIDATE
    # the pair page's own form carries a token that is accepted
    page = client.get(f"/queue/{match.id}").get_data(as_text=True)
    token = re.search(r'name="recommended-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/pipeline/{match.id}/move/recommended",
                           data={"recommended-csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert match.status is S.RECOMMENDED


def test_board_shows_the_brokers_pairs_by_column(people, db_app):
    broker, other = people["broker"], people["other_broker"]
    mine = [pair(need=people["need"], score=0.9 - i / 10, broker=broker, status=s)
            for i, s in enumerate([S.CANDIDATE, S.RECOMMENDED, S.SIGNED])]
    theirs = pair(need=people["need"], score=0.7, broker=other, status=S.CONTACTED)
    db.session.commit()
    html = client_as(db_app, "broker1").get("/pipeline/").get_data(as_text=True)
    for m in mine:
        assert f'href="/queue/{m.id}?via=board"' in html
    assert f'href="/queue/{theirs.id}?' not in html
    assert f'href="/queue/{people["match"].id}?' not in html  # unassigned pairs live in the queue
    candidate_col = html[html.index('id="col-candidate"'):html.index('id="col-recommended"')]
    assert f'/pipeline/{mine[0].id}/move/recommended' in candidate_col
    # an admin may look at another broker's board, or everyone's
    admin = client_as(db_app, "admin1")
    html = admin.get(f"/pipeline/?broker={other.id}").get_data(as_text=True)
    assert f'href="/queue/{theirs.id}?via=board"' in html
    assert f'href="/queue/{mine[0].id}?' not in html
    html = admin.get("/pipeline/").get_data(as_text=True)
    assert all(f'href="/queue/{m.id}?via=board"' in html for m in [*mine, theirs])
    assert admin.get("/pipeline/?broker=999999").status_code == 404


def test_board_quick_move_returns_to_the_board(people, db_app):
    match = people["match"]
    match.broker = people["broker"]
    db.session.commit()
    client = client_as(db_app, "broker1")
    response = client.post(f"/pipeline/{match.id}/move/recommended", data={"next": "/pipeline/"})
    assert response.headers["Location"] == "/pipeline/"
    response = client.post(f"/pipeline/{match.id}/move/contacted",
                           data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/queue/{match.id}"  # never an open redirect


def test_table_lists_every_status(people, db_app):
    signed = pair(need=people["need"], score=0.3, status=S.SIGNED, broker=people["broker"],
                  contract_amount=12)
    db.session.commit()
    client = client_as(db_app, "broker1")
    html = client.get("/pipeline/table").get_data(as_text=True)
    assert f'href="/queue/{signed.id}?' in html and f'href="/queue/{people["match"].id}?' in html
    html = client.get("/pipeline/table?status=signed").get_data(as_text=True)
    assert f'href="/queue/{people["match"].id}?' not in html
    for who in ("ent1", "uni1"):
        assert client_as(db_app, who).get("/pipeline/table").status_code == 403
        assert client_as(db_app, who).get("/pipeline/").status_code == 403


def test_a_forged_move_says_why_it_was_refused(csrf_app):
    """A move the page never offers (待审 straight to 已签约) once answered a silent 400: the
    pair page unchanged, no message anywhere (the 已签约 form's own errors, a missing contract
    amount, belong to a form the page does not show)."""
    people = cast()
    client = _broker_with_csrf(csrf_app)
    match = people["match"]
    page = client.get(f"/queue/{match.id}").get_data(as_text=True)
    token = re.search(r'name="recommended-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    for field in ("recommended-csrf_token", "signed-csrf_token"):
        refused = client.post(f"/pipeline/{match.id}/move/signed", data={field: token})
        assert refused.status_code == 400
        assert "配对不能从“待审”直接转到“已签约”。" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert match.status is S.CANDIDATE
    without_token = client.post(f"/pipeline/{match.id}/move/signed")
    assert without_token.status_code == 400
    assert "表单不是从本站提交的" in without_token.get_data(as_text=True)
