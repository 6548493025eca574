"""The review loop: the pair after this one in a filtered queue, and bulk recommendation."""

from __future__ import annotations

from ..extensions import db
from ..records import Match, MatchStatus, User
from . import pipeline
from .queue import COUNT_CAP, QueueFilters, queue_select
from .queue_bulk import load_workable


def next_pair_id(user: User, filters: QueueFilters, current_id: int) -> int | None:
    """The pair after ``current_id`` in the queue ``filters`` describe, or None at its end.

    A pair that is not (or no longer) in the queue is followed by the queue's first pair. Only
    ids are read, and no further than the queue's count cap, so this stays cheap at 100k rows.
    """
    stmt = queue_select(user, filters).with_only_columns(Match.id).limit(COUNT_CAP)
    ids = list(db.session.scalars(stmt))
    if current_id in ids:
        position = ids.index(current_id)
        return ids[position + 1] if position + 1 < len(ids) else None
    return ids[0] if ids else None


def bulk_recommend(user: User, ids: list[int], reason: str | None = None) -> int:
    """Recommend every selected pair to its enterprise in one transaction; returns the count.

    All or none: one pair that may not move (already recommended, rejected...) refuses the lot.
    """
    matches = load_workable(user, ids)
    done = []
    try:
        for match in matches:
            done.append(pipeline.stage_move(match, MatchStatus.RECOMMENDED, user, reason=reason))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    pipeline.announce(done)
    return len(done)
