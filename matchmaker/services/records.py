"""Create, change and remove needs and patents: validation, audit, index sync, matching, signals.

Every write commits the record first; only then are the index synced, the engine run and the
signal sent, so a failing engine never loses a saved record (it becomes a warning instead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..errors import IndexUnusable, ValidationError
from ..extensions import db
from ..reasons import reason, render
from ..reasons import stored as language_neutral
from ..records import (
    EventPatent,
    Job,
    JobStatus,
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    NeedStatus,
    Patent,
    PatentIPC,
    Role,
    User,
    utcnow,
)
from . import matching
from .announcements import announce_new
from .audit import record
from .record_checks import _, check_need, check_patent

log = logging.getLogger(__name__)
# Pairs in these statuses may be removed together with their need or patent.
DISPOSABLE = (MatchStatus.CANDIDATE, MatchStatus.REJECTED)


@dataclass
class Saved:
    """The outcome of a write: the record, whether it changed, and warnings for the user."""

    record: Need | Patent
    created: bool = False
    changed: bool = True
    stored_matches: int | None = None
    warnings: list[str] = field(default_factory=list)
    job_id: int | None = None  # the queued matching job


def _set_ipc(patent: Patent, codes: list[str]) -> None:
    """Keep the link rows of codes that stay: the ORM inserts before it deletes, so replacing
    a row with an identical code would break the (patent_id, code) unique constraint."""
    existing = {link.code: link for link in patent.ipc_links}
    links = []
    for position, code in enumerate(codes):
        link = existing.get(code) or PatentIPC(code=code, section=code[:1])
        link.position = position
        links.append(link)
    patent.ipc_links = links


def _apply(obj, clean: dict) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for key, value in clean.items():
        current = getattr(obj, key)
        if key == "licensing_modes":  # a set: the stored rows come back in no fixed order
            same = set(current) == set(value)
        else:
            same = current == value
        if same:
            continue
        if key == "ipc_codes":
            _set_ipc(obj, value)
        else:
            setattr(obj, key, value)
        changed = True
    return changed


def create_need(values: dict, *, actor: User) -> Saved:
    """Validate and store a new need, then index, match and announce it."""
    clean = check_need(values)
    need = Need(created_by_id=actor.id, status=NeedStatus.OPEN)
    _apply(need, clean)
    db.session.add(need)
    db.session.flush()
    record("need_create", actor, f"need:{need.id}", title=need.title)
    db.session.commit()
    return _after_save(Saved(need, created=True))


def update_need(need: Need, values: dict, *, actor: User) -> Saved:
    """Validate and apply changes to a need; re-index and re-match when anything changed."""
    clean = check_need(values, need=need)
    changed = _apply(need, clean)
    if not changed:
        return Saved(need, changed=False)
    record("need_update", actor, f"need:{need.id}")
    db.session.commit()
    return _after_save(Saved(need))


def set_need_status(need: Need, status: NeedStatus, *, actor: User) -> Saved:
    """Close or reopen a need (closed needs leave the matching pool)."""
    if need.status is status:
        return Saved(need, changed=False)
    if status is NeedStatus.OPEN and _has_contract(need):
        raise ValidationError(
            _("This need has a signed contract and cannot be reopened; post a new need instead."),
            "status",
        )
    need.status = status
    record("need_status", actor, f"need:{need.id}", status=status.value)
    db.session.commit()
    _result, warning = _engine_step(matching.sync_needs, [need.id])
    return Saved(need, warnings=[warning] if warning else [])


def set_patent_listing(patent: Patent, *, listed: bool, actor: User) -> Saved:
    """Close a patent's listing (the owner no longer offers it) or list it again.

    A closed patent leaves the index, the showcase and new matching; its pending pairs leave
    the queue (services.stale). Listing it again indexes it; pairs are proposed anew.
    """
    if patent.listed is listed:
        return Saved(patent, changed=False)
    patent.listing_closed_at = None if listed else utcnow()
    record("patent_listing", actor, f"patent:{patent.id}", listed=listed)
    db.session.commit()
    _result, warning = _engine_step(matching.sync_patents, [patent.id])
    return Saved(patent, warnings=[warning] if warning else [])


def _has_contract(need: Need) -> bool:
    """True when a pair of ``need`` is signed or registered (a live contract)."""
    live = select(Match.id).where(
        Match.need_id == need.id, Match.status.in_((MatchStatus.SIGNED, MatchStatus.REGISTERED))
    )
    return db.session.scalar(live.limit(1)) is not None


def create_patent(values: dict, *, actor: User) -> Saved:
    """Validate and store a new patent, then index, match and announce it."""
    clean = check_patent(values)
    patent = Patent()
    _apply(patent, clean)
    db.session.add(patent)
    db.session.flush()
    record("patent_create", actor, f"patent:{patent.id}", number=patent.publication_number)
    db.session.commit()
    return _after_save(Saved(patent, created=True))


def update_patent(patent: Patent, values: dict, *, actor: User) -> Saved:
    """Validate and apply changes to a patent; re-index and re-match when anything changed."""
    clean = check_patent(values, patent=patent)
    changed = _apply(patent, clean)
    if not changed:
        return Saved(patent, changed=False)
    record("patent_update", actor, f"patent:{patent.id}", number=patent.publication_number)
    db.session.commit()
    return _after_save(Saved(patent))


def _matches_of(column, record_id: int) -> list[Match]:
    return list(db.session.scalars(select(Match).where(column == record_id)))


def delete_need(need: Need, *, actor: User) -> list[str]:
    """Remove a need and its unworked pairs; refused while a pair is in progress."""
    matches = _matches_of(Match.need_id, need.id)
    if any(m.status not in DISPOSABLE for m in matches):
        raise ValidationError(_("This need has pairs in progress; close it instead."))
    for match in matches:
        db.session.delete(match)
    need_id = need.id
    record("need_delete", actor, f"need:{need_id}", title=need.title)
    db.session.delete(need)
    db.session.commit()
    _result, warning = _engine_step(matching.sync_needs, [need_id])
    return [warning] if warning else []


def delete_patent(patent: Patent, *, actor: User) -> list[str]:
    """Remove a patent and its unworked pairs; refused while in progress or listed at an event."""
    matches = _matches_of(Match.patent_id, patent.id)
    if any(m.status not in DISPOSABLE for m in matches):
        raise ValidationError(_("This patent has pairs in progress."))
    listed = select(EventPatent.id).where(EventPatent.patent_id == patent.id)
    if db.session.scalar(listed) is not None:
        raise ValidationError(_("This patent is listed at a release event."))
    for match in matches:
        db.session.delete(match)
    patent_id = patent.id
    record("patent_delete", actor, f"patent:{patent_id}", number=patent.publication_number)
    db.session.delete(patent)
    db.session.commit()
    _result, warning = _engine_step(matching.sync_patents, [patent_id])
    return [warning] if warning else []


def _jsonable(value):
    """Plain JSON types only (the engine may hand back numpy scalars)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def queue_candidate(need: Need, patent: Patent, candidate, *, actor: User) -> Match:
    """Put an engine candidate into the review queue as a manual pair (status candidate)."""
    existing = db.session.scalar(
        select(Match).where(Match.need_id == need.id, Match.patent_id == patent.id)
    )
    if existing is not None:
        raise ValidationError(_("This pair is already in the pipeline."))
    match = Match(
        need_id=need.id,
        patent_id=patent.id,
        score=float(candidate.score),
        rank=candidate.rank,
        channel_scores=_jsonable(candidate.channel_scores or {}),
        explanation=_jsonable(candidate.explanation or {}),
        calibrated=getattr(candidate, "calibrated", None),
        status=MatchStatus.CANDIDATE,
        source="manual",
        broker_id=actor.id if actor.role is Role.BROKER else None,
        status_changed_at=utcnow(),
    )
    match.history.append(
        MatchHistory(actor_id=actor.id, to_status=MatchStatus.CANDIDATE, reason="manual")
    )
    db.session.add(match)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another user queued the same pair a moment ago
        db.session.rollback()
        raise ValidationError(_("This pair is already in the pipeline.")) from exc
    record("match_queue", actor, f"match:{match.id}", need=need.id, patent=patent.id)
    db.session.commit()
    return match


def queue_from_engine(need: Need, patent: Patent, *, actor: User, side: str,
                      depth: int = 50) -> Match:
    """Run the engine again from ``side`` ("need" or "patent") and queue its candidate for the
    pair; scores and explanation come from the engine, never from the browser."""
    if side == "need":
        candidates = matching.match_need(need, k=depth, explain=True)
        candidate = next((c for c in candidates if c.patent_id == patent.id), None)
    else:
        candidates = matching.match_patent(patent, k=depth, explain=True)
        candidate = next((c for c in candidates if c.need_id == need.id), None)
    if candidate is None:
        raise ValidationError(_("This pair is no longer among the engine's candidates."))
    return queue_candidate(need, patent, candidate, actor=actor)


def _engine_step(step: Callable, *args, reraise: tuple[type[Exception], ...] = ()
                 ) -> tuple[object, str | None]:
    """Run one engine call; a failure is logged and becomes a warning, never an exception
    (except those in ``reraise``: a job lets a refused write make it try again)."""
    try:
        return step(*args), None
    except reraise:
        db.session.rollback()
        raise
    except IndexUnusable:  # a rebuild was requested outside this request
        db.session.rollback()
        return None, _("The search index is being rebuilt; this record will be matched "
                       "when it is ready.")
    except Exception:  # the record is saved already; the engine is best effort
        db.session.rollback()
        log.exception("engine step %s%r failed", step.__name__, args)
        return None, _engine_warning()


def _engine_warning() -> str:
    return reason(
        "The matching engine could not process this record now; "
        "the next batch run will pick it up."
    )


def _after_save(saved: Saved) -> Saved:
    """Queue the committed record's matching job (which announces a new record after it).

    The job syncs the index entry, matches and stores candidates, then sends the signal, so
    alerts see the stored matches; the request itself neither encodes nor sends mail. When the
    job ran at once (``JOBS_EAGER``), its outcome is reported like before.
    """
    from . import jobs

    kind = "need" if isinstance(saved.record, Need) else "patent"
    params = {f"{kind}_id": saved.record.id, "announce": saved.created}
    waiting = None if saved.created else _waiting_match(kind, saved.record.id)
    if waiting is not None:  # that job reads the record when it starts: it takes this edit too
        saved.job_id = waiting
        return saved
    try:
        job = jobs.submit(f"match_{kind}", params)
    except Exception:  # the record is saved; the next batch run matches it
        db.session.rollback()
        log.exception("could not queue matching of %s %s", kind, params)
        saved.warnings = [_engine_warning()]
        return saved
    saved.job_id = job.id
    if job.status is JobStatus.SUCCEEDED:
        saved.stored_matches = (job.result or {}).get("stored")
        saved.warnings = [render(w) for w in (job.result or {}).get("warnings", [])]
    return saved


def _waiting_match(kind: str, record_id: int) -> int | None:
    """A queued (not yet started) ``match_<kind>`` job of record ``record_id``, if any: six
    quick edits of one patent queued six jobs that each encoded and matched it again."""
    queued = db.session.execute(select(Job.id, Job.params).where(
        Job.kind == f"match_{kind}", Job.status == JobStatus.QUEUED).order_by(Job.id)).all()
    return next((job_id for job_id, params in queued
                 if (params or {}).get(f"{kind}_id") == record_id), None)


def match_saved(kind: str, record_id: int, *, announce: bool) -> dict:
    """Index, match and store one committed record, then announce it when ``announce``.

    ``match_and_store_*`` syncs the record's index entry before it matches, so one call does
    both in the required order (commit, sync, match) without encoding the text twice.
    """
    step = matching.match_and_store_need if kind == "need" else matching.match_and_store_patent
    # The database refusing a write (SQLite: another writer committed first) is retried by the
    # job with backoff, before the record is announced; other engine failures stay warnings.
    stored, warning = _engine_step(step, record_id, reraise=(OperationalError,))
    if announce:
        announce_new(f"{kind}s", [record_id])
    return {"stored": stored if isinstance(stored, int) else None,
            "warnings": [language_neutral(warning)] if warning else []}
