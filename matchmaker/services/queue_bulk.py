"""Bulk actions on the review queue: assign or reject a selection in one short transaction."""

from __future__ import annotations

from sqlalchemy import select

from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..records import Match, MatchStatus, Need, Patent, RejectionReason, Role, User
from . import access, pipeline
from .pipeline import tr

BULK_LIMIT = 200  # one page of selections at most; keeps a bulk action one short transaction


def load_workable(user: User, ids: list[int]) -> list[Match]:
    """The pairs ``ids`` if ``user`` may work every one of them; PermissionDenied otherwise."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise ValidationError(tr("Select at least one pair."), "ids")
    if len(wanted) > BULK_LIMIT:
        raise ValidationError(tr("Select at most %(n)d pairs at once.", n=BULK_LIMIT), "ids")
    if user.role not in (Role.ADMIN, Role.BROKER):
        raise PermissionDenied(tr("You may not work on these pairs."))
    visible = db.session.scalars(
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(Match.id.in_(wanted), access.match_filter(user))
        .order_by(Match.id)
    ).all()
    if len(visible) != len(wanted):
        # One forbidden (or missing) id refuses the whole selection: nothing is changed.
        found = {m.id for m in visible}
        missing = [i for i in wanted if i not in found]
        exists_at_all = db.session.scalars(select(Match.id).where(Match.id.in_(missing))).all()
        if exists_at_all:
            raise PermissionDenied(tr("You may not work on these pairs."))
        raise NotFound(tr("Some selected pairs no longer exist."))
    return list(visible)


Seen = dict[int, tuple[str | None, int | None]]  # pair id -> (status, broker id) the user saw


def bulk_assign(user: User, ids: list[int], broker: User, reason: str | None = None,
                seen: Seen | None = None) -> int:
    """Assign every selected pair to ``broker`` in one transaction; returns how many changed.

    With ``seen``, a pair whose broker changed since the user saw it refuses the whole batch.
    """
    matches = load_workable(user, ids)
    seen = seen or {}
    changed = 0
    try:
        for match in matches:
            expected = seen[match.id][1] if match.id in seen else ...
            if match.broker_id == broker.id and expected in (..., broker.id):
                continue  # already theirs: nothing to record
            pipeline.stage_assign(match, broker, user, reason=reason, expected_broker=expected)
            changed += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed


def bulk_reject(
    user: User, ids: list[int], rejection_reason: RejectionReason | str, note: str | None = None,
    seen: Seen | None = None,
) -> int:
    """Reject every selected pair with one reason in one transaction; returns the count.

    A patent- or need-level reason also rejects the other open pairs of that patent or need;
    those are counted too.

    With ``seen``, a pair moved since the user saw it refuses the whole batch.
    """
    matches = load_workable(user, ids)
    seen = seen or {}
    done = []
    try:
        for match in matches:
            if any(match.id == c.match.id for d in done for c in d.cascaded):
                continue  # a patent- or need-level reason already rejected it in this batch
            done.append(
                pipeline.stage_move(
                    match, MatchStatus.REJECTED, user, rejection_reason=rejection_reason, note=note,
                    expected=seen.get(match.id, (None, None))[0],
                )
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    pipeline.announce(done)
    return len(done) + sum(len(d.cascaded) for d in done)
