"""Clean queues: pairs whose patent or need can no longer be worked leave the queue.

Automatic (every path that changes a record: forms, API, imports, the pipeline): a session
hook sees, at flush time,
- a patent whose legal status becomes lapsed or expired: its candidate (待审) pairs are
  rejected with reason ``patent_not_in_force``;
- a need that becomes closed: ``need_closed``; a need that becomes matched (one of its pairs
  reached 已签约): ``need_matched``.
Each withdrawn pair keeps the reason in its history (``MatchHistory``, no actor: the system).
Pairs further down the pipeline (recommended ... signed) are a broker's to decide: they stay,
and ``refusal`` refuses to recommend or reopen any pair whose patent or need is stale.

A broker's rejection with a patent-level reason (权利人不许可, 已转让, 已许可独占) or a
need-level one (already solved) is applied by the pipeline to every open pair of that patent
or need (``cascade_targets``), and the engine proposes that patent or need no more
(``matching.rows.blocked_ids``).
"""

from __future__ import annotations

from sqlalchemy import and_, case, event, func, inspect, or_, select
from sqlalchemy.orm import Session

from ..labels import label
from ..records import (
    LegalStatus,
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    NeedStatus,
    Patent,
    utcnow,
)
from ..records.enums import NEED_LEVEL_REASONS, PATENT_LEVEL_REASONS, RejectionReason
from .pipeline_checks import tr

DEAD = (LegalStatus.LAPSED, LegalStatus.EXPIRED)
#: pairs a broker still works: a patent- or need-level rejection closes them all
OPEN_PAIRS = (MatchStatus.CANDIDATE, MatchStatus.RECOMMENDED, MatchStatus.CONTACTED,
              MatchStatus.NEGOTIATING)
NEED_REASONS = {NeedStatus.CLOSED: RejectionReason.NEED_CLOSED,
                NeedStatus.MATCHED: RejectionReason.NEED_MATCHED}


def refusal(match: Match, *, withdrawals: bool = True) -> str | None:
    """Why ``match`` may not be recommended (or reopened) now, translated; None when it may.

    ``withdrawals=False`` asks only about the patent and the need themselves, not about
    patent- or need-level rejections of other pairs (undoing one of those asks so)."""
    patent, need = match.patent, match.need
    if patent.legal_status in DEAD:
        return tr("The patent is no longer in force (%(status)s): this pair cannot be "
                  "recommended.", status=_status_text(patent.legal_status))
    if not patent.listed:
        return tr("The patent's listing is closed by its owner: this pair cannot be "
                  "recommended.")
    if need.status is NeedStatus.CLOSED:
        return tr("The need is closed: this pair cannot be recommended.")
    if need.status is NeedStatus.MATCHED:
        return tr("The need is already matched (a pair of it is signed): this pair cannot be "
                  "recommended.")
    if not withdrawals:
        return None
    withdrawn = _withdrawal(Session.object_session(match), patent.id, need.id)
    if withdrawn in PATENT_LEVEL_REASONS:
        return tr("The patent was withdrawn for every need (owner will not license, "
                  "transferred or exclusively licensed): this pair cannot be recommended.")
    if withdrawn in NEED_LEVEL_REASONS:
        return tr("The need was marked as already solved: this pair cannot be recommended.")
    return None


def own_withdrawal(match: Match) -> tuple[RejectionReason, str] | None:
    """The system reason and note that withdraw ``match`` because of its own patent or need
    (lapsed or expired, listing closed, need closed or matched), as the flush hook writes them;
    None when both can be worked."""
    patent, need = match.patent, match.need
    if patent.legal_status in DEAD:
        return (RejectionReason.PATENT_NOT_IN_FORCE,
                f"legal status: {LegalStatus(patent.legal_status).value}")
    if not patent.listed:
        return RejectionReason.LISTING_CLOSED, "listing closed by its owner"
    if need.status in NEED_REASONS:
        return NEED_REASONS[need.status], f"need status: {NeedStatus(need.status).value}"
    return None


def _withdrawal(session: Session, patent_id: int, need_id: int) -> RejectionReason | None:
    """A patent-level rejection of any pair of the patent, else a need-level one of any pair of
    the need, else None: one statement (the pair page and every move ask)."""
    patent_level = and_(Match.patent_id == patent_id,
                        Match.rejection_reason.in_(PATENT_LEVEL_REASONS))
    return session.scalar(
        select(Match.rejection_reason)
        .where(Match.status == MatchStatus.REJECTED,
               or_(patent_level, and_(Match.need_id == need_id,
                                      Match.rejection_reason.in_(NEED_LEVEL_REASONS))))
        .order_by(case((patent_level, 0), else_=1)).limit(1))


def cascade_counts(match: Match) -> dict[str, int]:
    """How many other open pairs a rejection of ``match`` would reject too: ``"need"`` with a
    need-level reason, ``"patent"`` with a patent-level one (the reject form says so)."""
    session = Session.object_session(match)
    counts = {}
    for key, column, value in (("need", Match.need_id, match.need_id),
                               ("patent", Match.patent_id, match.patent_id)):
        counts[key] = session.scalar(select(func.count(Match.id)).where(
            column == value, Match.id != match.id, Match.status.in_(OPEN_PAIRS))) or 0
    return counts


def cascade_targets(match: Match, code: RejectionReason) -> list[Match]:
    """The other open pairs a patent- or need-level rejection of ``match`` applies to."""
    if code in PATENT_LEVEL_REASONS:
        column, value = Match.patent_id, match.patent_id
    elif code in NEED_LEVEL_REASONS:
        column, value = Match.need_id, match.need_id
    else:
        return []
    return list(Session.object_session(match).scalars(
        select(Match).where(column == value, Match.id != match.id,
                            Match.status.in_(OPEN_PAIRS)).order_by(Match.id)
    ))


def _status_text(status) -> str:
    return label(status)


def _changed_to(obj, name: str):
    """The new value of attribute ``name`` when this flush changes it, else None."""
    history = inspect(obj).attrs[name].history
    if not history.has_changes() or not history.added:
        return None
    before = history.deleted[0] if history.deleted else None
    after = history.added[0]
    return after if after != before else None


AT = "matchmaker.stale.at"  # session.info key: when withdrawals happen (the demo backdates)


def _withdraw(session: Session, column, record_id: int, code: RejectionReason, text: str) -> None:
    now = session.info.get(AT) or utcnow()
    with session.no_autoflush:
        pairs = session.scalars(
            select(Match).where(column == record_id, Match.status == MatchStatus.CANDIDATE)
        ).all()
        for match in pairs:
            if match.status is not MatchStatus.CANDIDATE:  # moved in this session, not yet flushed
                continue
            match.status = MatchStatus.REJECTED
            match.rejection_reason = code
            match.rejection_note = text
            match.status_changed_at = now
            session.add(MatchHistory(match_id=match.id, at=now, from_status=MatchStatus.CANDIDATE,
                                     to_status=MatchStatus.REJECTED, reason=f"{code.value}: {text}"))


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, Patent):
            status = _changed_to(obj, "legal_status")
            if status is not None and LegalStatus(status) in DEAD:
                _withdraw(session, Match.patent_id, obj.id, RejectionReason.PATENT_NOT_IN_FORCE,
                          f"legal status: {LegalStatus(status).value}")
            elif _changed_to(obj, "listing_closed_at") is not None:
                # the owner closed the listing; unlike 权利人不许可 this does not block the
                # patent for good: listed again, it is matched again
                _withdraw(session, Match.patent_id, obj.id, RejectionReason.LISTING_CLOSED,
                          "listing closed by its owner")
        elif isinstance(obj, Need):
            status = _changed_to(obj, "status")
            if status is not None and NeedStatus(status) in NEED_REASONS:
                _withdraw(session, Match.need_id, obj.id, NEED_REASONS[NeedStatus(status)],
                          f"need status: {NeedStatus(status).value}")


def install() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
