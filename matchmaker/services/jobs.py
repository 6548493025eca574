"""Background jobs: submit one, follow its progress, list them, and recover dead workers' jobs.

A job is a ``records.Job`` row first and a queue message second: ``submit`` commits the row,
then sends the message, so a worker never looks for a row that is not there yet. A worker
claims a job with one conditional UPDATE, so a message delivered twice runs the work once.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import Connection, and_, or_, select, true, update
from sqlalchemy.exc import OperationalError

from ..errors import MatchmakerError
from ..extensions import db
from ..reasons import Reason, dumps, loads, reason, reason_of, render
from ..records import Job, JobStatus, User, utcnow

log = logging.getLogger(__name__)
ERROR_CHARS = 2000
#: what an admin sees of an unexpected error (the log has its traceback)
DETAIL_CHARS = 1500
#: jobs this process is running now (claimed, outcome not yet recorded); see :func:`claim`
_running_here: set[int] = set()


def worker_id() -> str:
    """``host:pid`` of this process, so a job can be traced to the worker that runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease() -> timedelta:
    return timedelta(seconds=lease_seconds())


def submit(kind: str, params: dict | None = None, *, user: User | None = None,
           after_response: bool = False) -> Job:
    """Store a queued job of ``kind`` and send it to the workers (eagerly run when configured).

    ``after_response`` holds the message back until a request's response is sent (an eager
    job then never runs inside the request); a job whose message never went is queued with no
    ``task_id``, which :func:`recover` sends.
    """
    from ..jobs.registry import TASKS

    if kind not in TASKS:
        raise ValueError(f"unknown job kind: {kind}")
    job = Job(kind=kind, params=params or {}, status=JobStatus.QUEUED,
              created_by_id=user.id if user is not None else None)
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()
    if after_response:
        from ..jobs.deferred import after_response as later

        later(lambda: send(job_id))
    else:
        send(job_id)
    return db.session.get(Job, job_id)


def send(job_id: int) -> None:
    """Send (or send again) the queue message of job ``job_id``; a broker error is recorded."""
    from ..jobs.registry import TASKS

    job = db.session.get(Job, job_id)
    task = current_app.extensions["celery"].tasks[TASKS[job.kind].name]
    task_id = uuid.uuid4().hex
    job.task_id = task_id
    db.session.commit()
    try:
        task.apply_async(args=[job_id], task_id=task_id)
    except Exception as exc:  # the row stays queued: ``recover`` sends it again later
        db.session.rollback()
        log.exception("job %s could not be queued", job_id)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            task_id=None, error=_error_text(reason("The job queue is unavailable: %(error)s",
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
    if holder is not None and holder != me and _alive_here(holder):
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
    calls it as that commit starts: never inside a savepoint of the work)."""
    job.progress_done = done
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
    job.error = _error_text(public_error(exc, final=final))
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


def public_error(exc: BaseException, *, final: bool) -> str:
    """What a job's error says to the people who read it.

    An error raised with a reason, or a domain error, is a message for people (a reason is
    kept as its msgid: each reader sees it in their own language). Anything else (the
    database busy, a bug) is a translated sentence; its type and text are kept as the reason's
    ``detail`` for the admins (:func:`error_detail`), never shown to the job's owner: they are
    English, name tables and SQL, and say nothing the owner can act on.
    """
    message = reason_of(exc)
    if isinstance(message, Reason) or isinstance(exc, MatchmakerError):
        return message
    detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    # A session broken by a refused write comes here as that refusal (registry.retryable_cause).
    busy = isinstance(exc, OperationalError)
    if not final:
        return (reason("The database was busy; the job will be tried again", detail=detail)
                if busy else
                reason("The job met a temporary problem; it will be tried again", detail=detail))
    if busy:
        return reason("The database stayed busy, so the job failed; please try again later",
                      detail=detail)
    return reason("The job failed because of an unexpected error; the details are in the log",
                  detail=detail)


def _error_text(message: str) -> str:
    """What ``Job.error`` stores: a reason as its msgid with parameters (see ``reasons.dumps``),
    rendered now only when that form would not fit; any other message as it is."""
    text = dumps(message)
    if len(text) > ERROR_CHARS and isinstance(message, Reason):
        text = str(message)
    return text[:ERROR_CHARS]


def error_message(job: Job) -> str | None:
    """The job's error in the reader's language; errors stored as plain text, as they are."""
    return render(loads(job.error)) if job.error else None


def error_detail(job: Job) -> str | None:
    """The technical details of an unexpected error (for admins only; see :func:`public_error`)."""
    stored = loads(job.error) if job.error else None
    return (stored.get("params") or {}).get("detail") if isinstance(stored, dict) else None


def jobs_query(*, status: JobStatus | None = None, user: User | None = None):
    """``select(Job)`` newest first, optionally one status or one user's jobs."""
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if user is not None:
        stmt = stmt.where(Job.created_by_id == user.id)
    return stmt.order_by(Job.created_at.desc(), Job.id.desc())


def _alive_here(worker: str | None) -> bool:
    """True when ``worker`` runs on this host and, on SQLite, its process still exists.

    On PostgreSQL a running job's heartbeat renews its lease (``jobs.heartbeat``), and a
    recycled process id must not keep a dead job alive, so the lease decides there. SQLite
    serves one machine, and a heartbeat's commit would refuse the job's own read-then-write
    transactions, so there a live worker process is what counts.
    """
    if db.engine.dialect.name != "sqlite":
        return False
    host, _sep, pid = (worker or "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _dead_here(worker)


def heartbeat_needed() -> bool:
    """Whether running jobs must renew their lease (see :func:`_alive_here`)."""
    return db.engine.dialect.name != "sqlite"


def _dead_here(worker: str | None) -> bool:
    """True when ``worker`` was a process on this host that no longer exists."""
    host, _sep, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except OSError as exc:
        return exc.errno == errno.ESRCH
    return False


def recover() -> list[int]:
    """Send again the jobs a dead worker held or a broker lost; returns their ids.

    Redis and RabbitMQ deliver an unacknowledged message again by themselves; kombu's
    SQLAlchemy transport does not, and a Redis that restarts without persistence forgets its
    queue, so each worker calls this when it starts and every ``JOB_RECOVER_SECONDS``
    (``jobs.recovery``). Sending twice is harmless: :func:`claim` lets only one delivery run
    the work; a queued job is sent again at most once per lease.

    A queued job's message counts as lost when the job is older than a lease, or sooner, once
    the workers are idle: no job runs and none started for ``JOB_LOST_SECONDS``, yet a job
    sent that long ago is still queued (a live queue would have handed it to a worker).
    """
    now = utcnow()
    stale = now - _lease()
    # A queued job sent again waits another lease before the next time (``lease_until`` marks
    # it): workers sweep every few minutes, and one still waiting its turn behind a long import
    # must not gain a copy of its message at every sweep.
    resendable = or_(Job.lease_until.is_(None), Job.lease_until < now)
    lost = and_(Job.status == JobStatus.QUEUED, Job.created_at < stale, resendable)
    candidates = db.session.scalars(select(Job).where(or_(
        Job.status == JobStatus.RUNNING,
        and_(Job.status == JobStatus.QUEUED, Job.task_id.is_(None)),
        lost,
    ))).all()
    again, running = [], 0
    for job in candidates:
        if job.status is JobStatus.RUNNING:
            expired = job.lease_until is None or job.lease_until < now
            # held by this very process, which is not running it: an attempt that could not
            # record its outcome, and no retry came to take it over
            abandoned = job.worker == worker_id() and job.id not in _running_here
            if not abandoned and (_alive_here(job.worker)
                                  or not (_dead_here(job.worker) or expired)):
                running += 1
                continue
            job.status = JobStatus.QUEUED
            job.error = _error_text(reason("The worker %(worker)s stopped during attempt %(n)d",
                                           worker=job.worker or "?", n=job.attempts))
        job.lease_until = now + _lease()  # claim() replaces it; a queued job's next resend
        again.append(job.id)
    if not running:
        again += _lost_while_idle(now, resendable, exclude=again)
    db.session.commit()
    for job_id in again:
        send(job_id)
    if again:
        log.warning("sent %d interrupted jobs again: %s", len(again), again)
    return again


def lost_seconds() -> int:
    """How long idle workers leave a sent job queued before its message counts as lost."""
    return int(current_app.config["JOB_LOST_SECONDS"])


def _lost_while_idle(now, resendable, *, exclude: list[int]) -> list[int]:
    """Queued jobs sent over ``JOB_LOST_SECONDS`` ago while no job started since: the workers
    are idle, so the queue no longer holds their messages. Marks them as sent now."""
    quiet = now - timedelta(seconds=lost_seconds())
    if db.session.scalar(select(Job.id).where(Job.started_at >= quiet).limit(1)) is not None:
        return []  # the workers are taking jobs: a queued one may still be waiting its turn
    jobs = db.session.scalars(select(Job).where(
        Job.status == JobStatus.QUEUED, Job.task_id.is_not(None), Job.created_at < quiet,
        resendable, Job.id.not_in(exclude) if exclude else true())).all()
    for job in jobs:
        job.lease_until = now + _lease()
    return [job.id for job in jobs]
