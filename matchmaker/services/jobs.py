"""Background jobs: submit one, follow its progress, list them (recovery of dead workers' jobs
is in :mod:`.job_recovery`, error texts in :mod:`.job_errors`).

A job is a ``records.Job`` row first and a queue message second: ``submit`` commits the row,
then sends the message, so a worker never looks for a row that is not there yet. A worker
claims a job with one conditional UPDATE, so a message delivered twice runs the work once.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import Connection, and_, or_, select, update

from ..extensions import begin_write, db
from ..reasons import reason
from ..records import Job, JobStatus, User, utcnow
from .job_errors import error_text, public_error
from .job_liveness import alive_here

log = logging.getLogger(__name__)
#: jobs this process is running now (claimed, outcome not yet recorded); see :func:`claim`
_running_here: set[int] = set()


def worker_id() -> str:
    """``host:pid`` of this process, so a job can be traced to the worker that runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease() -> timedelta:
    return timedelta(seconds=lease_seconds())


#: ``task_id`` of a job stored to be sent later, by the job before it in a chain (an import's
#: follow-up jobs, ``services.import_follow_up``), so jobs queued meanwhile run in between.
#: Recovery treats it as sent: it sends it itself only once the workers are idle with it still
#: queued, or it is older than a lease (``job_recovery.recover``), i.e. when the chain broke.
HELD = "held"


def submit(kind: str, params: dict | None = None, *, user: User | None = None,
           after_response: bool = False) -> Job:
    """Store a queued job of ``kind`` and send it to the workers (eagerly run when configured).

    ``after_response`` holds the message back until a request's response is sent (an eager
    job then never runs inside the request); a job whose message never went is queued with no
    ``task_id``, which :func:`.job_recovery.recover` sends.
    """
    job, job_id = _store(kind, params, user, task_id=None)
    if after_response:
        from ..jobs.deferred import after_response as later

        later(lambda: send(job_id, kind))
    else:
        send(job_id, kind)
    # Expired by the commits: read again when the caller reads it, not here (most callers
    # only queue it; a pipeline move queues one).
    return job


def hold(kind: str, params: dict | None = None, *, user: User | None = None) -> int:
    """Store a queued job of ``kind`` that the job before it sends when it ends (``HELD``);
    its id."""
    return _store(kind, params, user, task_id=HELD)[1]


def _store(kind: str, params: dict | None, user: User | None, *,
           task_id: str | None) -> tuple[Job, int]:
    """The stored job (committed, so expired) and its id (read before the commit)."""
    from ..jobs.registry import TASKS

    if kind not in TASKS:
        raise ValueError(f"unknown job kind: {kind}")
    # A writer's transaction (what the caller has open is committed first, as below anyway):
    # on SQLite a job or command that read before another writer's commit may not write.
    begin_write()
    job = Job(kind=kind, params=params or {}, status=JobStatus.QUEUED, task_id=task_id,
              created_by_id=user.id if user is not None else None)
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()
    return job, job_id


def jobs_by_id(ids: list[int]) -> list[Job]:
    """The jobs with these ids that exist, in the order given (an import's follow-up jobs)."""
    if not ids:
        return []
    found = {j.id: j for j in db.session.scalars(select(Job).where(Job.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def send(job_id: int, kind: str | None = None) -> None:
    """Send (or send again) the queue message of job ``job_id``; a broker error is recorded.
    ``kind``: the job's kind when the caller knows it (else it is read)."""
    from ..jobs.registry import TASKS

    task_id = uuid.uuid4().hex
    # A writer's transaction: on SQLite one that read before another writer's commit may not
    # write any more (QA pass 6: sent after a response, by recovery or by a job, while brokers
    # clicked, "UPDATE jobs SET task_id" was refused and the job waited for the next sweep).
    begin_write()
    db.session.execute(update(Job).where(Job.id == job_id).values(task_id=task_id))
    if kind is None:
        kind = db.session.scalar(select(Job.kind).where(Job.id == job_id))
    db.session.commit()
    task = current_app.extensions["celery"].tasks[TASKS[kind].name]
    try:
        task.apply_async(args=[job_id], task_id=task_id)
    except Exception as exc:  # the row stays queued: ``recover`` sends it again later
        db.session.rollback()
        log.exception("job %s could not be queued", job_id)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            task_id=None, error=error_text(reason("The job queue is unavailable: %(error)s",
                                                   error=str(exc)))))
        db.session.commit()


def claim(job_id: int) -> Job | None:
    """Mark the job running in this process; None when it is done or alive elsewhere.

    Call :func:`release` once the job's outcome is recorded (or could not be).
    """
    now = utcnow()
    me = worker_id()
    holder = db.session.scalar(select(Job.worker).where(Job.id == job_id,
                                                        Job.status == JobStatus.RUNNING))
    db.session.rollback()
    if holder is not None and holder != me and alive_here(holder):
        return None  # its lease may have run out, but its worker is still at it
    claimable = or_(
        Job.status == JobStatus.QUEUED,
        and_(Job.status == JobStatus.RUNNING, Job.lease_until < now),
    )
    if holder == me and job_id not in _running_here:
        # An attempt in this process ended without recording its outcome (the database refused
        # it): its retry takes the job over, else the job would stay "running" for good.
        claimable = or_(claimable, and_(Job.status == JobStatus.RUNNING, Job.worker == me))
    _running_here.add(job_id)  # before the commit: recovery never sees it unclaimed and idle
    try:
        changed = db.session.execute(
            update(Job).where(Job.id == job_id, claimable).values(
                status=JobStatus.RUNNING, started_at=now, attempts=Job.attempts + 1,
                worker=me, lease_until=now + _lease(), finished_at=None,
            )
        ).rowcount
        db.session.commit()
    except BaseException:
        _running_here.discard(job_id)
        raise
    if not changed:
        _running_here.discard(job_id)
        return None
    return db.session.get(Job, job_id)


def release(job_id: int) -> None:
    """This process no longer runs job ``job_id`` (its outcome is recorded, or could not be)."""
    _running_here.discard(job_id)


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Set progress and extend the lease; saved by the work's next commit (``JobContext``
    calls it as that commit starts: never inside a savepoint of the work).

    A later attempt starts its count again (an import resumed after its worker was killed
    reads the file from the top), so its bar holds where the last one stood until it passes
    it: QA pass 6 saw 1000, then 500, then 2258."""
    again = (job.attempts or 0) > 1 and total == job.progress_total
    job.progress_done = max(done, job.progress_done or 0) if again else done
    if total is not None:
        job.progress_total = total
    job.lease_until = utcnow() + _lease()


def lease_seconds() -> int:
    """How long a running job's lease lasts without being renewed."""
    return int(current_app.config["JOB_LEASE_SECONDS"])


def renew_lease(conn: Connection, job_id: int, worker: str, seconds: float) -> bool:
    """Extend the lease of job ``job_id`` while ``worker`` runs it; False when it no longer does.

    Runs on the caller's connection (the job's heartbeat thread), not the work's session.
    """
    changed = conn.execute(update(Job).where(
        Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker == worker,
    ).values(lease_until=utcnow() + timedelta(seconds=seconds))).rowcount
    return bool(changed)


def succeed(job_id: int, result: dict) -> None:
    """Record the job's report and mark it succeeded."""
    job = db.session.get(Job, job_id)
    job.status = JobStatus.SUCCEEDED
    job.result = result
    job.error = None
    job.finished_at = utcnow()
    job.lease_until = None
    if job.progress_total:
        job.progress_done = job.progress_total
    db.session.commit()


def fail(job_id: int, exc: BaseException, *, final: bool) -> None:
    """Record the error; ``final`` marks the job failed, else it waits for its retry."""
    job = db.session.get(Job, job_id)
    job.error = error_text(public_error(exc, final=final))
    job.lease_until = None
    if final:
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
    else:
        job.status = JobStatus.QUEUED
        # Celery holds its retry (backoff of at most 10 minutes): ``recover`` leaves it alone
        # for a lease, as it does a job it sent again itself
        job.lease_until = utcnow() + _lease()
    db.session.commit()



def jobs_query(*, status: JobStatus | None = None, user: User | None = None):
    """``select(Job)`` newest first, optionally one status or one user's jobs."""
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if user is not None:
        stmt = stmt.where(Job.created_by_id == user.id)
    return stmt.order_by(Job.created_at.desc(), Job.id.desc())
