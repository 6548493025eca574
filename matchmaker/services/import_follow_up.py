"""After an import: index, match and announce its changed records, in jobs of their own.

The import job only writes rows. Then one follow-up job per ``IMPORT_FOLLOW_UP_ROWS`` changed
records (``index_imported``) encodes them into the index, stores their candidates (queried with
the vectors just indexed: each record is encoded once) and announces the new ones, whose
alerts then read the stored candidates instead of asking the engine again. Each job has its own
progress counter, and the jobs run one after the other as a chain, so jobs queued meanwhile (a
need posted while a large file is imported) run between them instead of after the whole file.
Such jobs have a queue and, with ``script/server``, a worker of their own (``jobs.queues``);
where none is free, a job a person waits for does not even wait for the rest of the current
share: after its current step (``STEP`` records, a few seconds) the share hands the records it
did not reach on to the chain's next share, which a worker takes after that job, since it
polls their queue first (``someone_waits``, ``hand_over``).
Every step is idempotent, so a job run again after its worker was killed redoes its records
without duplicating a pair or an announcement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..extensions import begin_write, db
from ..reasons import Reason, reason
from ..reasons import stored as stored_reason
from ..records import Job, JobStatus, Need, Patent, User, utcnow
from . import jobs, matching
from .announcements import announce_new

log = logging.getLogger(__name__)
#: records indexed, matched and announced between two progress reports (and commits)
STEP = 50
MATCH_TRIES = 3  # per record, when the database refuses the candidates' write
UNMATCHED_NAMED = 5  # record numbers named in the warning about unmatched ones
DIRECTION = {"patents": "patent", "needs": "need"}
#: how long a job a person waits for stays queued before a share yields to it: a free worker
#: (``flask worker --interactive``) takes one well within this (the whole job ended 0.4-0.8 s
#: after the save in bench_need_during_import.py); the share that found one queued younger
#: handed its rest over for nothing
UNCLAIMED_SECONDS = 2.0


def queue(kind: str, changed_ids: list[int], created_ids: list[int],
          actor: User | None, import_job: int | None = None) -> list[int]:
    """Queue the follow-up jobs of an import of ``kind`` ("patents" or "needs"); their ids.

    They form a chain: the first is sent now, each sends the next when it ends (``then``), so
    a job queued meanwhile (a need posted during a large import) runs after the current share,
    not after the whole file. The others wait as ``jobs.HELD``; should the chain break (a
    worker killed between a job's end and the next one's message), recovery sends them once
    the workers are idle."""
    size = max(1, int(current_app.config["IMPORT_FOLLOW_UP_ROWS"]))
    created = set(created_ids)
    parts = [changed_ids[start:start + size] for start in range(0, len(changed_ids), size)]
    chain = [jobs.hold("index_imported", {
        "kind": kind, "ids": part, "created": [i for i in part if i in created],
        "import_job": import_job, "then": None}, user=actor) for part in parts]
    if len(chain) > 1:
        begin_write()
        for job_id, then in zip(chain, chain[1:], strict=False):
            held = db.session.get(Job, job_id)
            held.params = {**held.params, "then": then}  # a new dict: the JSON is saved
        db.session.commit()
    # Eager jobs (tests, one-process installs) run inside ``send``: there the chain is walked
    # here, one job after the other, not by each job sending the next (nested, 200 deep).
    for job_id in chain if current_app.config.get("JOBS_EAGER") else chain[:1]:
        jobs.send(job_id)
    return chain


def send_next(job_id: int | None) -> None:
    """Send the next job of a chain (``then``) unless recovery sent it and it ran already."""
    if job_id is None or current_app.config.get("JOBS_EAGER"):
        return
    waiting = db.session.scalar(select(Job.id).where(Job.id == job_id,
                                                     Job.status == JobStatus.QUEUED))
    if waiting is not None:
        jobs.send(job_id)  # in a writer's transaction of its own


def run(kind: str, ids: list[int], created: list[int],
        progress: Callable[[int, int | None], None] | None = None, *,
        last: bool = True, yield_to: Callable[[], bool] | None = None) -> dict:
    """Index, match and announce ``ids`` (the work of one ``index_imported`` job). Only the
    ``last`` job of a chain may ask for a compaction of the change log: one per share rewrote
    the whole collection every ``IMPORT_FOLLOW_UP_ROWS`` records.

    ``yield_to`` is asked after each step but the last; when it says yes, the run stops there
    and its report's ``"rest"`` holds the ids it did not reach (for ``hand_over``)."""
    sync = matching.sync_patents if kind == "patents" else matching.sync_needs
    new = set(created)
    stored, unmatched = 0, []
    for start in range(0, len(ids), STEP):
        part = ids[start:start + STEP]
        sync(part, compact_later=last and start + STEP >= len(ids))
        for record_id in part:
            rows = _match(DIRECTION[kind], record_id)
            if rows is None:
                unmatched.append(record_id)
            else:
                stored += rows
        if progress is not None:
            begin_write()  # SQLite: a writer's transaction, as in _match
            progress(start + len(part), len(ids))
            db.session.commit()
        rest = ids[start + STEP:]
        if rest and yield_to is not None and yield_to():
            done = ids[:start + STEP]
            announce_new(kind, [i for i in done if i in new])
            return {**_report(kind, done, new, stored, unmatched), "rest": rest}
    # Announced once the share is matched: a broker hears once about the share's new patents
    # that match (``alerts.alert_patents_listed``), not once per step or per patent; each
    # record is still announced once (``first_time``), also when a killed share runs again.
    announce_new(kind, [i for i in ids if i in new])
    return _report(kind, ids, new, stored, unmatched)


def _report(kind: str, ids: list[int], new: set[int], stored: int, unmatched: list[int]) -> dict:
    return {"records": len(ids), "stored": stored, "announced": len(new.intersection(ids)),
            "warnings": [stored_reason(_unmatched_warning(kind, unmatched))] if unmatched else []}


def someone_waits(since: datetime | None) -> bool:
    """Whether a job a person waits for (``jobs.registry.INTERACTIVE``: a saved need's
    matching, a booklet ...) was queued after ``since`` (when the asking share was stored) and
    no worker has taken it in ``UNCLAIMED_SECONDS``. Such a job waits behind this chain: one
    queued before the chain was stored ran before it, and the share that takes the rest is
    sent after the job, so each job splits at most one share (a job whose message was lost,
    at most one per share). A need posted while the import wrote its rows, before the first
    share started, counts too (it waited 62.9 s behind a whole first share when the share's
    start was the mark). Eager installs run every job inline: nothing waits there."""
    from ..jobs.registry import INTERACTIVE

    if since is None or current_app.config.get("JOBS_EAGER"):
        return False
    found = db.session.scalar(select(Job.id).where(
        Job.status == JobStatus.QUEUED, Job.kind.in_(sorted(INTERACTIVE)),
        Job.created_at > since,
        Job.created_at <= utcnow() - timedelta(seconds=UNCLAIMED_SECONDS)).limit(1))
    db.session.commit()  # end the read: the next step's writes take a writer's transaction
    return found is not None


def hand_over(share: Job, rest: list[int]) -> int:
    """Hand the records of ``share`` it did not reach (``rest``) on, and return the job that
    takes them, which ``share`` sends when it ends (so behind the job it yielded to): the
    chain's next share while it still waits its turn (they go first in it), else a new share
    after ``share``, added to the import's list of follow-up jobs. So a busy portal lengthens
    the chain's shares, not the list. ``share`` keeps the records it did, so its counter, the
    import's report and matching counter, and ``need_progress.being_matched`` stay right."""
    params = dict(share.params or {})
    left = set(rest)
    created = params.get("created") or []
    moved = {"ids": list(rest), "created": [i for i in created if i in left]}
    begin_write()
    taker = db.session.scalar(select(Job).where(  # not sent by recovery meanwhile
        Job.id == params.get("then"), Job.status == JobStatus.QUEUED,
        Job.task_id == jobs.HELD).with_for_update()) if params.get("then") else None
    if taker is not None:
        waiting = dict(taker.params or {})
        taker.params = {**waiting, "ids": moved["ids"] + list(waiting.get("ids") or []),
                        "created": moved["created"] + list(waiting.get("created") or [])}
        taker_id = taker.id
    else:
        db.session.commit()
        taker_id = jobs.hold("index_imported", {**params, **moved}, user=share.created_by)
        begin_write()
        importer = (db.session.get(Job, params["import_job"]) if params.get("import_job")
                    else None)
        listed = list((importer.result or {}).get("follow_up") or []) if importer else []
        if share.id in listed:
            listed.insert(listed.index(share.id) + 1, taker_id)
            importer.result = {**importer.result, "follow_up": listed}
    share = db.session.get(Job, share.id)
    done = [i for i in params.get("ids") or [] if i not in left]
    share.params = {**params, "ids": done, "created": [i for i in created if i not in left],
                    "then": taker_id}
    share.progress_done = share.progress_total = len(done)
    db.session.commit()
    return taker_id


def _match(direction: str, record_id: int) -> int | None:
    """Store one record's candidates; None when the engine could not (logged). A write the
    database still refused (``match_indexed`` writes in a writer's transaction, which waits up
    to the busy timeout) is tried again."""
    for attempt in range(1, MATCH_TRIES + 1):
        try:
            rows = matching.match_indexed(direction, record_id)
            db.session.commit()
            return rows
        except OperationalError:
            db.session.rollback()
            if attempt == MATCH_TRIES:
                log.exception("matching imported %s %s failed %d times", direction, record_id,
                              attempt)
                return None
            log.warning("matching imported %s %s: the database refused a write, trying again",
                        direction, record_id)
        except Exception:  # the rows are saved; the engine is best effort
            db.session.rollback()
            log.exception("matching imported %s %s failed", direction, record_id)
            return None
    return None  # not reached


def _unmatched_warning(kind: str, ids: list[int]) -> Reason:
    """"3 件专利暂未匹配（CN…、CN… 等）": the records the engine could not match now."""
    shown = ids[:UNMATCHED_NAMED]
    model, number = ((Patent, Patent.publication_number) if kind == "patents"
                     else (Need, Need.title))
    names = dict(db.session.execute(select(model.id, number).where(model.id.in_(shown))).all())
    named = [names.get(i, f"#{i}") for i in shown]
    if kind == "needs" and len(ids) > len(shown):
        return reason("%(n)d imported needs could not be matched now (%(names)s and others); "
                      "the next batch run matches them.", n=len(ids), names=named)
    if kind == "needs":
        return reason("%(n)d imported needs could not be matched now (%(names)s); the next "
                      "batch run matches them.", n=len(ids), names=named)
    if len(ids) > len(shown):
        return reason("%(n)d imported patents could not be matched now (%(numbers)s and "
                      "others); the next batch run matches them.", n=len(ids), numbers=named)
    return reason("%(n)d imported patents could not be matched now (%(numbers)s); the next "
                  "batch run matches them.", n=len(ids), numbers=named)
