"""How many SQL statements the busiest pages run (issue 13: CPU per request on 2 cores).

The queue page's statements do not grow with its rows (no query per pair), and a move that
succeeds never reloads what only the pair page shows (history, notes, IPC codes): SQLAlchemy
refreshes a pair with the options it was loaded with, after the guarded update and after the
commit (``load_pair(whole=False)``).
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from matchmaker.extensions import db
from matchmaker.records import MatchNote
from tests import factories as f
from tests.pairs import cast, client_as, pair


@contextmanager
def statements():
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _queue_statements(client) -> list[str]:
    client.get("/queue/?strength=weak")  # warm: the first request of a client differs
    with statements() as seen:
        response = client.get("/queue/?strength=weak")
    assert response.status_code == 200
    return seen


def test_the_queue_page_runs_as_many_statements_for_25_rows_as_for_2(app):
    people = cast()
    pair(need=people["need"])
    db.session.commit()
    client = client_as(app, "broker1")
    few = _queue_statements(client)
    for i in range(30):
        pair(need=f.need(f"需求{i}"), broker=people["broker"] if i % 2 else None, score=0.4,
             calibrated=None if i % 3 else 70)
    db.session.commit()
    many = _queue_statements(client)
    assert client.get("/queue/?strength=weak").get_data(as_text=True).count('name="page_ids"') == 25
    assert len(many) == len(few), "\n".join(many)


def test_a_move_and_a_note_never_reload_the_pages_history_and_notes(app):
    people = cast()
    match = people["match"]
    for i in range(3):
        db.session.add(MatchNote(match=match, author=people["broker"], body=f"备注{i}"))
    db.session.commit()
    client = client_as(app, "broker1")
    with statements() as seen:
        response = client.post(f"/pipeline/{match.id}/note", data={"note-body": "已联系"})
        assert response.status_code == 302
        response = client.post(f"/pipeline/{match.id}/move/recommended",
                               data={"recommended-seen_status": "candidate"})
        assert response.status_code == 302
    reads = [s for s in seen if s.startswith("SELECT")]
    assert not [s for s in reads if "FROM match_notes" in s or "FROM match_history" in s
                or "FROM patent_ipc" in s], "\n".join(reads)
    # the pair page still shows them all
    page = client.get(f"/queue/{match.id}").get_data(as_text=True)
    assert "已联系" in page and "备注2" in page


def _visibility_checks(seen: list[str]) -> list[str]:
    """The statements that ask whether a pair is in the user's scope (or the queue's)."""
    return [s for s in seen if s.startswith("SELECT matches.id FROM matches JOIN needs")]


def test_the_pair_page_asks_about_the_pairs_scope_once_and_about_withdrawals_once(app):
    people = cast()
    match = people["match"]
    pair(need=people["need"], score=0.3)  # the next pair in the broker's queue
    db.session.commit()
    client = client_as(app, "broker1")
    client.get(f"/queue/{match.id}")
    with statements() as seen:
        response = client.get(f"/queue/{match.id}")
    assert response.status_code == 200
    # one scope check (the view's; the actions' check reuses it) and one read of the
    # queue's head for the next pair (the pair is in it: no separate membership check)
    assert len(_visibility_checks(seen)) == 2, "\n".join(seen)
    withdrawals = [s for s in seen if "matches.rejection_reason IN" in s]
    assert len(withdrawals) == 1, "\n".join(seen)


def test_a_move_reads_the_webhook_subscriptions_once_and_checks_the_scope_once(app):
    people = cast()
    match = people["match"]
    client = client_as(app, "broker1")
    with statements() as seen:
        response = client.post(f"/pipeline/{match.id}/move/recommended",
                               data={"recommended-seen_status": "candidate"})
    assert response.status_code == 302
    assert len([s for s in seen if "FROM webhook_subscriptions" in s]) == 1, "\n".join(seen)
    assert len(_visibility_checks(seen)) == 1, "\n".join(seen)
    db.session.expire_all()
    assert db.session.get(type(match), match.id).status.value == "recommended"


def test_the_scope_answer_is_kept_for_one_request_and_asked_again_after_a_move(app):
    from matchmaker.records import MatchStatus
    from matchmaker.services import access

    people = cast()
    broker, match = people["broker"], people["match"]
    with app.test_request_context("/"):
        with statements() as seen:
            assert access.can_view_match(db.session, broker, match)
            assert access.can_work_match(db.session, broker, match)
        assert len(_visibility_checks(seen)) == 1, "\n".join(seen)
        match.status = MatchStatus.REJECTED  # a pair the request itself moved is asked again
        db.session.flush()
        with statements() as seen:
            access.can_view_match(db.session, broker, match)
        assert len(_visibility_checks(seen)) == 1
    other = people["other_broker"]
    match.broker = other  # now another broker's pair: outside broker1's scope
    db.session.commit()
    with app.test_request_context("/"):  # a new request asks again
        assert not access.can_view_match(db.session, broker, match)


def test_a_kept_scope_answer_follows_a_change_to_the_pairs_need_in_the_same_request(app):
    from matchmaker.records import Confidentiality
    from matchmaker.services import access

    people = cast()
    broker, match, need = people["broker"], people["match"], people["need"]
    with app.test_request_context("/"):
        assert access.can_view_match(db.session, broker, match)
        # the need becomes another broker's brokers-only need: broker1 no longer sees its pairs
        need.confidentiality = Confidentiality.BROKERS
        need.broker_id = people["other_broker"].id
        assert not access.can_view_match(db.session, broker, match)  # unflushed: asked anew
        db.session.flush()
        assert not access.can_view_match(db.session, broker, match)  # flushed: a new key
        need.confidentiality = Confidentiality.PUBLIC
        db.session.commit()
        assert access.can_view_match(db.session, broker, match)  # committed: a new key again
