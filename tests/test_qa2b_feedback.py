"""An enterprise's answer to a recommendation, sent twice (a double click, a slow line), is one
answer: the broker hears of it once and the audit log counts it once (QA round 2b)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.errors import PermissionDenied
from matchmaker.extensions import db
from matchmaker.records import AuditLog, Feedback, Match, MatchStatus, Notification
from matchmaker.services import pipeline
from tests.pairs import cast, client_as


@pytest.fixture
def people(db_app):
    people = cast()
    pipeline.move(people["match"], MatchStatus.RECOMMENDED, people["broker"])
    db.session.commit()
    return people


def heard() -> tuple[int, int]:
    """(notices of an answer, audit rows of an answer) so far."""
    notes = select(func.count(Notification.id)).where(Notification.kind == "feedback")
    audit = select(func.count(AuditLog.id)).where(AuditLog.action == "match_feedback")
    return db.session.scalar(notes), db.session.scalar(audit)


def test_the_same_answer_again_is_no_news(people):
    match, ent = people["match"], people["enterprise"]
    pipeline.record_feedback(match, ent, Feedback.NOT_INTERESTED, "工艺不适合我厂设备")
    assert heard() == (1, 1)
    # the same words, as a resend carries them (trimmed alike)
    pipeline.record_feedback(match, ent, "not_interested", " 工艺不适合我厂设备 ")
    assert heard() == (1, 1)
    pipeline.record_feedback(match, ent, Feedback.NOT_INTERESTED, "价格太高")  # a new reason
    assert heard() == (2, 2)
    pipeline.record_feedback(match, ent, Feedback.INTERESTED, None)  # a new mind
    assert heard() == (3, 3)
    pipeline.record_feedback(match, ent, Feedback.INTERESTED, "")
    assert heard() == (3, 3)
    db.session.expire_all()
    assert (match.enterprise_feedback, match.feedback_reason) == (Feedback.INTERESTED, None)


def test_a_double_click_still_thanks_the_enterprise(people, db_app):
    mid = people["match"].id
    client = client_as(db_app, "ent1")
    data = {f"m{mid}-feedback": "interested"}
    for _ in range(2):
        response = client.post(f"/recommendations/{mid}/feedback", data=data,
                               follow_redirects=True)
        assert response.status_code == 200 and "谢谢，您的答复已转给经纪人。" in response.text
    assert heard() == (1, 1)


def elsewhere(match: Match, **values) -> None:
    """Another request changes the pair and commits, beside this session."""
    mid = match.id
    db.session.commit()  # end this session's reads (SQLite would stay locked for the writer)
    with db.engine.begin() as other:
        other.execute(update(Match).where(Match.id == mid).values(**values))


def stale(match: Match, **loaded) -> None:
    """Make ``match`` the copy a request loaded earlier: these values, as if read then."""
    for key, value in loaded.items():
        set_committed_value(match, key, value)


def test_two_copies_arriving_at_once_are_one_answer(people):
    """Both copies loaded the pair before either committed: the stale one sees no answer in
    memory, yet the second to write finds it stored and announces nothing."""
    match, ent = people["match"], people["enterprise"]
    elsewhere(match, enterprise_feedback=Feedback.INTERESTED)  # the first copy commits
    stale(match, enterprise_feedback=None)  # loaded before: this copy knows of no answer
    pipeline.record_feedback(match, ent, Feedback.INTERESTED, None)
    assert heard() == (0, 0)  # the first copy's own notice is its own business
    assert match.enterprise_feedback is Feedback.INTERESTED


def test_an_answer_to_a_withdrawn_recommendation_is_refused(people):
    match, ent = people["match"], people["enterprise"]
    elsewhere(match, status=MatchStatus.REJECTED)  # a broker rejects the pair meanwhile
    stale(match, status=MatchStatus.RECOMMENDED)  # loaded before the rejection
    with pytest.raises(PermissionDenied):
        pipeline.record_feedback(match, ent, Feedback.INTERESTED, None)
    db.session.expire_all()
    assert match.enterprise_feedback is None and heard() == (0, 0)
