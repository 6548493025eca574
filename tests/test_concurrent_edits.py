"""Two brokers at once: moves and assignments are conditional on what each one saw (issue 14, 8)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from matchmaker.errors import TransitionError
from matchmaker.extensions import db
from matchmaker.records import Match, MatchHistory, MatchStatus, Role, User
from matchmaker.services import pipeline
from tests import factories as f
from tests.pairs import cast, client_as

S = MatchStatus


def _history(match_id: int) -> list[str]:
    rows = db.session.scalars(
        select(MatchHistory.reason).where(MatchHistory.match_id == match_id).order_by(MatchHistory.id)
    )
    return [r or "" for r in rows]


def test_reject_posted_against_a_pair_just_recommended_is_refused(db_app):
    people = cast()
    match_id = people["match"].id
    first, second = client_as(db_app, "broker1"), client_as(db_app, "admin1")
    page = second.get(f"/queue/{match_id}").get_data(as_text=True)
    assert 'name="rejected-seen_status" type="hidden" value="candidate"' in page
    assert 'name="assign-seen_broker" type="hidden" value=""' in page
    # Both saw a candidate; the first recommends it.
    done = first.post(f"/pipeline/{match_id}/move/recommended",
                      data={"recommended-seen_status": "candidate"})
    assert done.status_code == 302
    late = second.post(f"/pipeline/{match_id}/move/rejected", data={
        "rejected-seen_status": "candidate", "rejected-rejection_reason": "price_terms"})
    assert late.status_code == 409
    assert "被他人修改" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Match, match_id).status is S.RECOMMENDED


def test_second_of_two_assignments_seeing_the_same_broker_is_refused(db_app):
    people = cast()
    match_id = people["match"].id
    third = f.user(Role.BROKER, username="broker3", display_name="赵经纪")
    db.session.commit()
    a, b = client_as(db_app, "admin1"), client_as(db_app, "admin1")
    to_broker1 = {"assign-broker": str(people["broker"].id), "assign-seen_broker": ""}
    to_broker3 = {"assign-broker": str(third.id), "assign-seen_broker": ""}
    assert a.post(f"/pipeline/{match_id}/assign", data=to_broker1).status_code == 302
    late = b.post(f"/pipeline/{match_id}/assign", data=to_broker3)
    assert late.status_code == 409
    db.session.expire_all()
    assert db.session.get(Match, match_id).broker_id == people["broker"].id
    assert [h for h in _history(match_id) if h.startswith("assign:")] == ["assign: - -> broker1"]


def test_simultaneous_assignments_in_two_threads(db_app):
    """Two sessions load the unassigned pair and assign it at once: one wins, history is true."""
    people = cast()
    match_id = people["match"].id
    names = ["broker1", "broker2"]
    db.session.commit()  # end this session's read transaction (SQLite: its lock)
    barrier = threading.Barrier(2, timeout=20)
    outcomes: dict[str, str] = {}
    app = db_app

    def worker(name: str):
        with app.test_request_context():  # each thread is one request
            try:
                broker = db.session.scalar(select(User).where(User.username == name))
                match = db.session.get(Match, match_id)
                seen = match.broker_id
                db.session.rollback()  # end the read: the other thread may now load too
                barrier.wait()
                match = db.session.get(Match, match_id)
                pipeline.assign(match, broker, None, expected_broker=seen)
                outcomes[name] = "ok"
            except TransitionError:
                outcomes[name] = "conflict"
            except Exception as exc:  # reported by the assertion below
                outcomes[name] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    winner = next(n for n, o in outcomes.items() if o == "ok")
    db.session.expire_all()
    assert db.session.get(Match, match_id).broker.username == winner
    assert [h for h in _history(match_id) if h.startswith("assign:")] == [f"assign: - -> {winner}"]


def test_simultaneous_moves_in_two_threads(db_app):
    """Two brokers who both saw a candidate: one recommends, the other rejects; one wins."""
    people = cast()
    match_id = people["match"].id
    barrier = threading.Barrier(2, timeout=20)
    outcomes: dict[str, str] = {}
    db.session.commit()  # end this session's read transaction (SQLite: its lock)

    def worker(to: MatchStatus, extra: dict):
        with db_app.test_request_context():  # each thread is one request
            try:
                barrier.wait()
                match = db.session.get(Match, match_id)
                pipeline.move(match, to, None, expected=S.CANDIDATE, **extra)
                outcomes[to.value] = "ok"
            except TransitionError:
                outcomes[to.value] = "conflict"
            except Exception as exc:
                outcomes[to.value] = repr(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(S.RECOMMENDED, {})),
        threading.Thread(target=worker, args=(S.REJECTED, {"rejection_reason": "price_terms"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    winner = next(k for k, o in outcomes.items() if o == "ok")
    db.session.expire_all()
    assert db.session.get(Match, match_id).status.value == winner
    moves = db.session.scalars(select(MatchHistory).where(MatchHistory.match_id == match_id)).all()
    assert [(h.from_status, h.to_status.value) for h in moves] == [(S.CANDIDATE, winner)]


def test_bulk_reject_of_a_pair_recommended_meanwhile_is_refused(db_app):
    people = cast()
    match_id = people["match"].id
    page = client_as(db_app, "admin1").get("/queue/").get_data(as_text=True)
    assert f'name="seen-{match_id}" value="candidate:"' in page  # what the broker saw
    assert client_as(db_app, "broker1").post(f"/pipeline/{match_id}/move/recommended", data={
        "recommended-seen_status": "candidate"}).status_code == 302
    late = client_as(db_app, "admin1").post("/queue/bulk", data={
        "ids": [str(match_id)], f"seen-{match_id}": "candidate:", "reject": "y",
        "rejection_reason": "price_terms"})
    assert late.status_code == 409
    db.session.expire_all()
    assert db.session.get(Match, match_id).status is S.RECOMMENDED


def test_bulk_assign_of_a_pair_assigned_meanwhile_is_refused(db_app):
    people = cast()
    match_id, broker2 = people["match"].id, people["other_broker"].id
    assert client_as(db_app, "admin1").post(f"/pipeline/{match_id}/assign", data={
        "assign-broker": str(people["broker"].id), "assign-seen_broker": ""}).status_code == 302
    late = client_as(db_app, "admin1").post("/queue/bulk", data={
        "ids": [str(match_id)], f"seen-{match_id}": "candidate:", "assign": "y",
        "broker": str(broker2)})
    assert late.status_code == 409
    db.session.expire_all()
    assert db.session.get(Match, match_id).broker_id == people["broker"].id
