"""The review loop: the pair after this one in a filtered queue, and bulk recommendation."""

from __future__ import annotations

from ..extensions import db
from ..records import Match, MatchStatus, User
from . import pipeline
from .queue import COUNT_CAP, QueueFilters, queue_select
from .queue_bulk import load_workable

#: ids read first when looking for the pair after this one: a broker reviewing from the top
#: of the queue finds it there; only a pair further down reads on (up to the count cap)
NEAR = 50


def next_pair_id(user: User, filters: QueueFilters, current_id: int) -> int | None:
    """The pair after ``current_id`` in the queue ``filters`` describe, or None at its end.

    A pair that is not (or no longer) in the queue is followed by the queue's first pair. Only
    ids are read, first the queue's head (one statement when the pair is in it, as when a
    broker reviews from the top) and only for a pair further down as far as the queue's
    count cap: at 100k pairs reading the cap for a broker with a narrow scope walked ~25k
    pairs on every pair page (about 100 ms on SQLite).
    """
    stmt = queue_select(user, filters).with_only_columns(Match.id)
    head = list(db.session.scalars(stmt.limit(NEAR)))
    if current_id in head:
        position = head.index(current_id)
        if position + 1 < len(head):
            return head[position + 1]
        return None if len(head) < NEAR else _after_head(stmt, current_id)
    if len(head) < NEAR:  # the whole queue is in its head: just decided, or opened elsewhere
        return head[0] if head else None
    if db.session.scalar(stmt.where(Match.id == current_id).limit(1)) is None:
        return head[0]
    return _after_head(stmt, current_id)


def _after_head(stmt, current_id: int) -> int | None:
    """The pair after ``current_id`` within the count cap; None past its end (the queue's
    pages stop there too); the queue's first pair when it moved out meanwhile."""
    ids = list(db.session.scalars(stmt.limit(COUNT_CAP)))
    if current_id not in ids:
        return ids[0] if ids else None
    position = ids.index(current_id)
    return ids[position + 1] if position + 1 < len(ids) else None


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
