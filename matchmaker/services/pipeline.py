"""The deal pipeline: moving a need-patent pair from 待审 to 已登记, assigning it, notes, feedback.

Statuses follow ``MatchStatus``: candidate -> recommended -> contacted -> negotiating -> signed
-> registered (技术合同登记), or rejected from any stage before registration. A rejected pair may
be reopened to candidate. Every move writes one ``MatchHistory`` row and, after the commit,
sends ``matchmaker.signals.match_moved``.

``actor`` is the user acting. Views always pass ``current_user``; ``None`` means a system job
(CLI, demo seeding) and skips the permission check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, has_request_context
from sqlalchemy import func, or_, select, update

from ..errors import ChangedMeanwhile, PermissionDenied, TransitionError, ValidationError
from ..extensions import db
from ..labels import label
from ..records import (
    Feedback,
    Match,
    MatchHistory,
    MatchNote,
    MatchStatus,
    NeedStatus,
    RejectionReason,
    Role,
    User,
    utcnow,
)
from . import access, pair_notices, stale
from . import pipeline_checks as checks
from .assignment_history import (
    ASSIGN_PREFIX,
    NOBODY,
    assignment_line,
    is_assignment,
)
from .audit import record
from .pipeline_checks import NOTE_LIMIT, TEXT_LIMIT, tr

__all__ = [  # the names other parts import from here
    "FINAL", "Move", "NOTE_LIMIT", "STAGES", "TEXT_LIMIT", "TRANSITIONS", "add_note",
    "allowed_moves", "announce", "assign", "is_assignment", "move",
    "move_reported", "record_feedback", "refused_move", "split_history_reason",
    "stage_assign", "stage_move", "tr",
]

log = logging.getLogger(__name__)

S = MatchStatus
#: The forward path, in order; ``rejected`` sits beside it.
STAGES = [S.CANDIDATE, S.RECOMMENDED, S.CONTACTED, S.NEGOTIATING, S.SIGNED, S.REGISTERED]
FINAL = (S.REGISTERED, S.REJECTED)
TRANSITIONS: dict[MatchStatus, tuple[MatchStatus, ...]] = {
    S.CANDIDATE: (S.RECOMMENDED, S.REJECTED),
    S.RECOMMENDED: (S.CONTACTED, S.REJECTED),
    S.CONTACTED: (S.NEGOTIATING, S.REJECTED),
    S.NEGOTIATING: (S.SIGNED, S.REJECTED),
    S.SIGNED: (S.REGISTERED, S.REJECTED),
    S.REGISTERED: (),
    S.REJECTED: (S.CANDIDATE,),  # reopen, with a reason
}


def _changed() -> str:
    """The message of a conflicting edit, translated when raised."""
    return tr("The pair was changed by someone else meanwhile; reload it.")


def refused_move(match: Match, target: MatchStatus) -> str:
    """Why a pair cannot take this move from where it stands (待审 to 已签约 skips stages)."""
    return tr("A pair cannot move from “%(a)s” to “%(b)s”.",
              a=_status_name(MatchStatus(match.status)), b=_status_name(target))


def _status_name(status: MatchStatus) -> str:
    """A stage as people read it (已推荐), in a request; its code outside one (CLI, tests)."""
    return str(label(status)) if has_request_context() else status.value


def allowed_moves(match: Match) -> list[MatchStatus]:
    """The statuses ``match`` may move to next, in pipeline order."""
    return list(TRANSITIONS[MatchStatus(match.status)])


@dataclass
class Move:
    """One committed (or staged) move of a pair, as ``announce`` tells it."""

    match: Match
    from_status: MatchStatus
    to_status: MatchStatus
    history: MatchHistory
    actor_id: int | None
    need_status_changed: bool = False  # the move matched or reopened the need
    restored: bool = False  # an undone rejection put the pair back where it stood
    cascaded: list[Move] = field(default_factory=list)  # a patent/need-level rejection's
    # Kept at the move: after the commit, reading them from ``match`` reloads the pair.
    match_id: int = field(init=False)
    need_id: int = field(init=False)

    def __post_init__(self):
        self.match_id, self.need_id = self.match.id, self.match.need_id


def move(
    match: Match,
    to: MatchStatus | str,
    actor: User | None,
    *,
    reason: str | None = None,
    rejection_reason: RejectionReason | str | None = None,
    note: str | None = None,
    contract_amount: Decimal | float | str | None = None,
    contract_number: str | None = None,
    expected: MatchStatus | str | None = None,
) -> MatchHistory:
    """Move ``match`` to status ``to``, record history, commit, then send ``match_moved``.

    ``expected`` is the status the user saw; when given, the move applies only from it.

    Raises PermissionDenied (actor may not work this pair), TransitionError (not allowed from
    the current status, or changed meanwhile) or ValidationError (missing reason, amount, ...).
    """
    return move_reported(
        match, to, actor, reason=reason, rejection_reason=rejection_reason, note=note,
        contract_amount=contract_amount, contract_number=contract_number, expected=expected,
    ).history


def move_reported(match: Match, to: MatchStatus | str, actor: User | None, **options) -> Move:
    """:func:`move`, answering the whole move: with ``cascaded``, the other pairs a patent- or
    need-level rejection rejected too (the page tells the broker how many)."""
    try:
        done = stage_move(match, to, actor, **options)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    announce([done])
    return done


def stage_move(
    match: Match,
    to: MatchStatus | str,
    actor: User | None,
    *,
    reason: str | None = None,
    rejection_reason: RejectionReason | str | None = None,
    note: str | None = None,
    contract_amount: Decimal | float | str | None = None,
    contract_number: str | None = None,
    expected: MatchStatus | str | None = None,
    cascade: bool = True,
    cause: MatchHistory | None = None,
) -> Move:
    """Apply one move in the session without committing (bulk actions commit once).

    A rejection with a patent-level or need-level reason is applied to every other open pair
    of that patent or need as well (``cascade``; their moves are in ``cascaded``, their history
    rows name this move's row as their ``cause``). Recommending or reopening a pair whose
    patent or need is stale is refused (``stale.refusal``).
    """
    target = checks.status(to)
    current = MatchStatus(match.status)
    if expected not in (None, "") and checks.status(expected) is not current:
        raise ChangedMeanwhile(_changed())
    if actor is not None and not access.can_work_match(db.session, actor, match):
        raise PermissionDenied(tr("You may not work on this pair."))
    if target in (S.RECOMMENDED, S.CANDIDATE) and target in TRANSITIONS[current]:
        refused = stale.refusal(match)
        if refused:
            raise TransitionError(refused)
    if target not in TRANSITIONS[current]:
        raise TransitionError(refused_move(match, target))
    reason = checks.clean(reason)
    note = checks.clean(note)
    checks.limit(reason, NOTE_LIMIT, "reason")
    checks.limit(note, NOTE_LIMIT, "note")
    now = utcnow()
    values: dict = {"status": target, "status_changed_at": now}
    history_reason = reason
    if target is S.REJECTED:
        code = checks.rejection(rejection_reason)
        text = note or reason
        if code is RejectionReason.OTHER and not text:
            raise ValidationError(tr("Describe the reason when choosing “other”."), "note")
        checks.limit(text, TEXT_LIMIT, "note")
        values.update(rejection_reason=code, rejection_note=text)
        history_reason = f"{code.value}: {text}" if text else code.value
        note = None  # already kept as the rejection note
    elif target is S.CANDIDATE:  # reopening a rejected pair
        if not reason:
            raise ValidationError(tr("Give a reason for reopening the pair."), "reason")
        values.update(rejection_reason=None, rejection_note=None)
    elif target is S.SIGNED:
        values["contract_amount"] = checks.amount(contract_amount)
    elif target is S.REGISTERED:
        amount = contract_amount if contract_amount not in (None, "") else match.contract_amount
        values["contract_amount"] = checks.amount(amount)
        values["contract_number"] = checks.contract_number(contract_number)
    if match.broker_id is None and actor is not None and actor.role is Role.BROKER:
        values["broker_id"] = actor.id  # a broker who acts on an unassigned pair takes it
    # Conditional update: if someone else moved the pair since it was loaded, nothing changes.
    result = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == current).values(**values),
        execution_options={"synchronize_session": "fetch"},
    )
    if result.rowcount != 1:
        raise ChangedMeanwhile(_changed())
    db.session.refresh(match)
    history = MatchHistory(
        match_id=match.id,
        at=now,
        actor_id=getattr(actor, "id", None),
        from_status=current,
        to_status=target,
        reason=history_reason,
        cause_id=cause.id if cause is not None else None,
    )
    db.session.add(history)
    if note:
        db.session.add(MatchNote(match_id=match.id, author_id=getattr(actor, "id", None), body=note))
    need_status_changed = _side_effects(match, current, target)
    record("match_move", actor, f"match:{match.id}", frm=current.value, to=target.value)
    db.session.flush()
    done = Move(match, current, target, history, getattr(actor, "id", None),
                 need_status_changed)
    if target is S.REJECTED and cascade:
        note = values["rejection_note"]
        text = f"same reason as pair #{match.id}" + (f": {note}" if note else "")
        for other in stale.cascade_targets(match, values["rejection_reason"]):
            done.cascaded.append(stage_move(other, S.REJECTED, None, note=text[:TEXT_LIMIT],
                                            rejection_reason=values["rejection_reason"],
                                            cascade=False, cause=history))
    return done


def announce(moves: list[Move]) -> None:
    """Send ``match_moved`` for each committed move, then ``moves_committed`` once for them all;
    a failing receiver never undoes the move."""
    from ..signals import match_moved, moves_committed

    app = current_app._get_current_object()
    moves = [m for done in moves for m in (done, *done.cascaded)]
    for done in moves:
        try:
            match_moved.send(
                app,
                match_id=done.match_id,
                from_status=done.from_status,
                to_status=done.to_status,
                actor_id=done.actor_id,
                need_id=done.need_id,
                need_status_changed=done.need_status_changed,
                restored=done.restored,
            )
        except Exception:
            log.exception("a match_moved receiver failed for match %s", done.match_id)
    if moves:
        try:
            moves_committed.send(app, match_ids=[done.match_id for done in moves])
        except Exception:
            log.exception("a moves_committed receiver failed")


def _side_effects(match: Match, current: MatchStatus, target: MatchStatus) -> bool:
    """Update the need and the patent after a move; True when the need's status changed."""
    if target is S.SIGNED:
        changed = match.need.status is not NeedStatus.MATCHED
        match.need.status = NeedStatus.MATCHED
        match.patent.dormant = False
        return changed
    if target is S.REJECTED and current is S.SIGNED:
        # A cancelled contract reopens the need unless another pair of it is still signed.
        still = db.session.scalar(
            select(func.count(Match.id)).where(
                Match.need_id == match.need_id,
                Match.id != match.id,
                Match.status.in_((S.SIGNED, S.REGISTERED)),
            )
        )
        if not still and match.need.status is NeedStatus.MATCHED:
            match.need.status = NeedStatus.OPEN
            return True
    return False


def assign(match: Match, broker: User, actor: User | None, *, reason: str | None = None,
           expected_broker: int | None | object = ...) -> MatchHistory:
    """Assign ``match`` to an active broker (history row with the reason); commits."""
    try:
        history = stage_assign(match, broker, actor, reason=reason,
                               expected_broker=expected_broker)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return history


def stage_assign(
    match: Match, broker: User, actor: User | None, *, reason: str | None = None,
    expected_broker: int | None | object = ...,
) -> MatchHistory:
    """Apply an assignment in the session without committing.

    ``expected_broker`` is the broker id the user saw (None: unassigned); by default the one
    loaded. The update applies only while the pair still has it, so the history's previous
    broker is always the true one.
    """
    if actor is not None and not access.can_work_match(db.session, actor, match):
        raise PermissionDenied(tr("You may not work on this pair."))
    if broker is None or broker.role is not Role.BROKER or not broker.active:
        raise ValidationError(tr("Choose an active broker."), "broker")
    seen = match.broker_id if expected_broker is ... else expected_broker
    if seen != match.broker_id:
        raise ChangedMeanwhile(_changed())
    previous = match.broker
    if previous is not None and previous.id == broker.id:
        raise ValidationError(tr("The pair is already assigned to this broker."), "broker")
    unchanged = Match.broker_id.is_(None) if seen is None else Match.broker_id == seen
    result = db.session.execute(
        update(Match).where(Match.id == match.id, unchanged).values(broker_id=broker.id),
        execution_options={"synchronize_session": "fetch"},
    )
    if result.rowcount != 1:
        raise ChangedMeanwhile(_changed())
    db.session.refresh(match)
    text = f"{ASSIGN_PREFIX} {previous.username if previous else NOBODY} -> {broker.username}"
    reason = checks.clean(reason)
    checks.limit(reason, TEXT_LIMIT, "reason")
    status = MatchStatus(match.status)
    history = MatchHistory(
        match_id=match.id,
        actor_id=getattr(actor, "id", None),
        from_status=status,
        to_status=status,
        reason=f"{text} ({reason})" if reason else text,
    )
    db.session.add(history)
    record("match_assign", actor, f"match:{match.id}", broker=broker.id,
           previous=getattr(previous, "id", None))
    db.session.flush()
    return history


def add_note(match: Match, author: User, body: str) -> MatchNote:
    """Add an internal broker note to ``match``; commits."""
    if not access.can_work_match(db.session, author, match):
        raise PermissionDenied(tr("You may not work on this pair."))
    body = checks.clean(body)
    if not body:
        raise ValidationError(tr("The note is empty."), "body")
    checks.limit(body, NOTE_LIMIT, "body")
    note = MatchNote(match_id=match.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.commit()
    return note


def record_feedback(match: Match, user: User, feedback: Feedback | str, reason: str | None) -> Match:
    """An enterprise answers a recommendation: interested or not (then with a reason); commits."""
    if (
        user.role is not Role.ENTERPRISE
        or match.need.enterprise_id != user.organization_id
        or match.status not in access.SHOWN_TO_PARTIES
    ):
        raise PermissionDenied(tr("You may not answer for this recommendation."))
    try:
        answer = Feedback(feedback)
    except ValueError:
        raise ValidationError(tr("Choose interested or not interested."), "feedback") from None
    reason = checks.clean(reason)
    if answer is Feedback.NOT_INTERESTED and not reason:
        raise ValidationError(tr("Tell us why the patent does not fit."), "reason")
    checks.limit(reason, TEXT_LIMIT, "reason")
    # The same answer again (a double click, a resend on a slow line) is no news: the broker
    # heard it the first time, and the audit log would count it twice. Compare and set in one
    # statement, so two copies arriving at once (each loaded the pair before the other
    # committed) store and announce the answer once: the second waits for the first's row
    # lock (PostgreSQL) or write lock (SQLite), then finds the answer already there.
    result = db.session.execute(
        update(Match).where(
            Match.id == match.id,
            Match.status.in_(access.SHOWN_TO_PARTIES),
            or_(Match.enterprise_feedback.is_distinct_from(answer),
                Match.feedback_reason.is_distinct_from(reason)),
        ).values(enterprise_feedback=answer, feedback_reason=reason),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(match)
    if result.rowcount != 1:
        db.session.rollback()  # nothing was changed; ends the transaction the update opened
        if match.status not in access.SHOWN_TO_PARTIES:  # withdrawn meanwhile
            raise PermissionDenied(tr("You may not answer for this recommendation."))
        return match
    record("match_feedback", user, f"match:{match.id}", feedback=answer.value)
    notes = pair_notices.answered(match, user)  # the broker hears of it: same transaction
    db.session.commit()
    pair_notices.mail(notes)
    return match


def split_history_reason(entry: MatchHistory) -> tuple[RejectionReason | None, str | None]:
    """For display: a rejection row's reason code and its free text; an assignment row's line
    in the interface language (:func:`assignment_line`); other rows' text."""
    if is_assignment(entry):
        return None, assignment_line(entry)
    text = entry.reason
    if entry.to_status is S.REJECTED and text:
        code, _, rest = text.partition(":")
        try:
            return RejectionReason(code.strip()), rest.strip() or None
        except ValueError:
            return None, text
    return None, text
