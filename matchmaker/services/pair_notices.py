"""Who hears about a pair's progress: the enterprise when a broker recommends a patent for its
need, the broker when the enterprise answers the recommendation.

The need page promises the enterprise "you will be notified"; the recommendations page tells
it "your answer goes to the broker". Each notice is written in its recipient's language
(``notify.recipient_locale``) and mailed like the alerts when mail is on.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..extensions import db
from ..reasons import reason
from ..records import Feedback, Match, MatchHistory, MatchStatus, Notification, Role, User
from ..signals import match_moved
from . import jobs
from .notify import mail_job, notify, recipient_locale

log = logging.getLogger(__name__)


def connect_receivers(app) -> None:
    """Subscribe the receiver (blinker keeps one connection per function)."""
    match_moved.connect(on_match_moved)


def on_match_moved(sender, match_id: int | None = None, to_status=None, restored: bool = False,
                   **_kw) -> None:
    """A committed move to 已推荐 notifies the need's enterprise users (not a recommendation
    an undone rejection put back: they heard of it the first time); never raises (the move
    stands whatever happens here)."""
    if (match_id is None or to_status is None or restored
            or MatchStatus(to_status) is not MatchStatus.RECOMMENDED):
        return
    try:
        match = db.session.get(Match, match_id)
        notes = recommended(match) if match is not None else []
        db.session.commit()
        mail(notes)
    except Exception:
        db.session.rollback()
        log.exception("notifying the enterprise of recommended pair %s failed", match_id)


def recommended(match: Match) -> list[Notification]:
    """Notices to the active users of the need's enterprise (the caller commits)."""
    users = db.session.scalars(select(User).where(
        User.organization_id == match.need.enterprise_id, User.role == Role.ENTERPRISE,
        User.active.is_(True)))
    notes = []
    for user in users:
        with recipient_locale(user):
            message = reason(
                "A broker recommends the patent “%(patent)s” for your need “%(need)s”.",
                patent=match.patent.title, need=match.need.title)
        notes.append(notify(user, "recommended", message, f"/recommendations/#m{match.id}"))
    return notes


def answered(match: Match, enterprise_user: User) -> list[Notification]:
    """A notice to the pair's broker, or else to whoever recommended it, that the enterprise
    answered (the caller commits)."""
    broker = match.broker or _recommender(match)
    if broker is None or not broker.active:
        return []
    with recipient_locale(broker):
        interested = match.enterprise_feedback is Feedback.INTERESTED
        message = (reason("%(org)s is interested in the patent “%(patent)s” for “%(need)s”.",
                          org=enterprise_user.organization.name, patent=match.patent.title,
                          need=match.need.title) if interested else
                   reason("%(org)s is not interested in the patent “%(patent)s” for “%(need)s”: "
                          "%(reason)s", org=enterprise_user.organization.name,
                          patent=match.patent.title, need=match.need.title,
                          reason=match.feedback_reason or ""))
    return [notify(broker, "feedback", message, f"/queue/{match.id}")]


def mail(notes: list[Notification]) -> None:
    """Queue the mail job for committed notices, when mail is on."""
    job = mail_job(notes)
    if job is not None:
        jobs.submit(*job)


def _recommender(match: Match) -> User | None:
    """The user who moved the pair to 已推荐 last."""
    entry = db.session.scalar(
        select(MatchHistory).where(MatchHistory.match_id == match.id,
                                   MatchHistory.to_status == MatchStatus.RECOMMENDED)
        .order_by(MatchHistory.id.desc()).limit(1))
    return db.session.get(User, entry.actor_id) if entry is not None and entry.actor_id else None
