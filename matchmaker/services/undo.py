"""Undoing a patent- or need-level rejection: one click put back every pair it closed.

Such a rejection (权利人不许可, 已转让, 已许可独占, already solved) closes every other open pair
of the patent or the need with it (``pipeline.stage_move``; their history rows name it as
their ``cause``). A slip of the reason menu thus rejects dozens of pairs. For
``UNDO_SECONDS`` after it, the broker who chose it (or an administrator) may undo it: each pair
goes back to the stage it had, its rejection cleared, with a history row saying so. A pair
moved since (reopened, rejected again) keeps what happened to it since and is left out; the
rejected pair itself must be untouched, or nothing is undone. A pair whose patent or need can
no longer be worked (lapsed, closed, matched meanwhile) stays rejected, with that system reason
instead (kept with the undone reason, it would still withdraw the patent or the need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from ..errors import PermissionDenied, TransitionError
from ..extensions import db
from ..records import Match, MatchHistory, MatchStatus, Role, User, utcnow
from ..records.enums import NEED_LEVEL_REASONS, PATENT_LEVEL_REASONS
from . import access, pipeline, stale
from .audit import record
from .pipeline_checks import tr

#: the reason an undone rejection's history rows carry (``labels.SYSTEM_NOTES`` shows it)
UNDONE = "rejection undone"
LEVELS = {*PATENT_LEVEL_REASONS, *NEED_LEVEL_REASONS}


@dataclass
class Undone:
    """What an undo did: the moves back (the rejected pair's first) and the pairs left out."""

    moves: list[pipeline.Move] = field(default_factory=list)
    kept: int = 0  # pairs moved since or no longer workable: still as they are


def _check(history: MatchHistory | None, actor: User | None) -> None:
    gone = tr("This rejection can no longer be undone.")
    if (history is None or history.cause_id is not None
            or history.to_status != MatchStatus.REJECTED
            or history.from_status not in stale.OPEN_PAIRS):
        raise TransitionError(gone)
    match = history.match
    if match.rejection_reason not in LEVELS or match.status != MatchStatus.REJECTED:
        raise TransitionError(gone)
    if actor is not None:
        if history.actor_id != actor.id and actor.role is not Role.ADMIN:
            raise PermissionDenied(tr("Only the broker who rejected the pair, or an administrator, may undo it."))
        if not access.can_work_match(db.session, actor, match):
            raise PermissionDenied(tr("You may not work on this pair."))
    window = timedelta(seconds=current_app.config.get("UNDO_SECONDS", 900))
    if history.at < utcnow() - window:
        raise TransitionError(gone)
    if _latest_moves([match.id]).get(match.id) != history.id:
        raise TransitionError(gone)


def _latest_moves(match_ids: list[int]) -> dict[int, int]:
    """Each pair's latest history row that changed its status (assignments do not)."""
    changed = or_(MatchHistory.from_status.is_(None),
                  MatchHistory.from_status != MatchHistory.to_status)
    return dict(db.session.execute(
        select(MatchHistory.match_id, func.max(MatchHistory.id))
        .where(MatchHistory.match_id.in_(match_ids), changed)
        .group_by(MatchHistory.match_id)).all())


def undo_rejection(match_id: int, history_id: int, actor: User | None) -> Undone:
    """Undo the patent- or need-level rejection of pair ``match_id`` recorded by its history row
    ``history_id``; commits and announces the moves back. Raises PermissionDenied or
    TransitionError (too late, moved since, not such a rejection, or the pair can no longer be
    worked)."""
    history = db.session.get(MatchHistory, history_id)
    if history is not None and history.match_id != match_id:
        history = None
    _check(history, actor)
    caused = list(db.session.scalars(
        select(MatchHistory).where(MatchHistory.cause_id == history.id)
        .order_by(MatchHistory.id)))
    latest = _latest_moves([row.match_id for row in caused])
    done = Undone()
    try:
        refused = stale.refusal(history.match, withdrawals=False)
        if refused:
            raise TransitionError(refused)
        first = _back(history, actor)
        if first is None:  # moved between the check and now
            raise TransitionError(tr("This rejection can no longer be undone."))
        done.moves.append(first)
        for row in caused:
            if latest.get(row.match_id) != row.id:
                done.kept += 1
                continue
            own = stale.own_withdrawal(row.match)
            if own is not None:  # rejected still, for its own record's reason now
                _reason_now(row.match, *own, actor)
                done.kept += 1
                continue
            moved = _back(row, actor)
            if moved is None:
                done.kept += 1
            else:
                done.moves.append(moved)
        # another patent- or need-level rejection still standing withdraws the pair anyway
        refused = stale.refusal(history.match)
        if refused:
            raise TransitionError(refused)
        record("match_undo", actor, f"match:{history.match_id}", history=history.id,
               pairs=len(done.moves))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    pipeline.announce(done.moves)
    return done


def _reason_now(match: Match, code, text: str, actor: User | None) -> None:
    """A pair that stays rejected takes the system reason of its own record: kept with the
    undone patent- or need-level reason it would still withdraw the patent or the need."""
    db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == MatchStatus.REJECTED)
        .values(rejection_reason=code, rejection_note=text),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.add(MatchHistory(match_id=match.id, at=utcnow(), actor_id=getattr(actor, "id", None),
                                from_status=MatchStatus.REJECTED, to_status=MatchStatus.REJECTED,
                                reason=f"{code.value}: {text}"))


def _back(rejection: MatchHistory, actor: User | None):
    """Put the pair of ``rejection`` back where it stood before it; None when it moved."""
    match, now = rejection.match, utcnow()
    result = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == MatchStatus.REJECTED)
        .values(status=rejection.from_status, status_changed_at=now, rejection_reason=None,
                rejection_note=None),
        execution_options={"synchronize_session": "fetch"},
    )
    if result.rowcount != 1:
        return None
    db.session.refresh(match)
    back = MatchHistory(match_id=match.id, at=now, actor_id=getattr(actor, "id", None),
                        from_status=MatchStatus.REJECTED, to_status=rejection.from_status,
                        reason=UNDONE)
    db.session.add(back)
    db.session.flush()
    return pipeline.Move(match, MatchStatus.REJECTED, rejection.from_status, back,
                         getattr(actor, "id", None), restored=True)
