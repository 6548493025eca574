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
    ids are read, first the queue's head and only for a pair further down as far as the
    queue's count cap: at 100k pairs reading the cap for a broker with a narrow scope walked
    ~25k pairs on every pair page (about 100 ms on SQLite).
    """
    stmt = queue_select(user, filters).with_only_columns(Match.id)
    if db.session.scalar(stmt.where(Match.id == current_id).limit(1)) is None:
        return db.session.scalar(stmt.limit(1))  # just decided, or opened from elsewhere
    ids: list[int] = []
    for limit in (NEAR, COUNT_CAP):
        ids = list(db.session.scalars(stmt.limit(limit)))
        if current_id in ids:
            position = ids.index(current_id)
            if position + 1 < len(ids):
                return ids[position + 1]
            if len(ids) < limit or limit == COUNT_CAP:
                return None  # the queue's end (or the cap's, as the queue's pages show)
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
