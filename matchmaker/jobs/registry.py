"""Job kinds and their Celery tasks: ``@job("kind")`` turns ``work(params, ctx)`` into a task."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from contextlib import nullcontext

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..records import Job
from ..services import jobs as service
from .heartbeat import Heartbeat

log = logging.getLogger(__name__)
#: Failures worth another try (database or mail server away, disk hiccup); any other error is
#: a fact about the input and fails the job at once.
RETRYABLE = (OperationalError, smtplib.SMTPException, OSError)
TASKS: dict[str, Task] = {}
BOOKKEEPING_TRIES = 5


class JobContext:
    """What a job's work gets besides its parameters: progress reports and after-commit steps."""

    def __init__(self, job: Job):
        self.job = job
        self.after: list[Callable[[], object]] = []
        self.finished: list[Callable[[], object]] = []

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress (saved with the work's next commit) and extend the lease."""
        service.progress(self.job, done, total)

    def after_commit(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the job's outcome is committed (e.g. queue a follow-up job)."""
        self.after.append(step)

    def when_finished(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the job has ended, succeeded or failed for good (not on a retry)."""
        self.finished.append(step)


def job(kind: str):
    """Register ``work(params, ctx) -> dict`` as the task of job ``kind``."""

    def decorator(work: Callable[[dict, JobContext], dict | None]) -> Task:
        @shared_task(
            name=f"matchmaker.jobs.{kind}", bind=True, acks_late=True,
            reject_on_worker_lost=True, autoretry_for=RETRYABLE, retry_backoff=True,
            retry_backoff_max=600, retry_jitter=True,
        )
        def task(self: Task, job_id: int) -> str:
            return run(self, job_id, work)

        TASKS[kind] = task
        return task

    return decorator


def run(task: Task, job_id: int, work) -> str:
    """Claim job ``job_id``, run its work and record the outcome; duplicates are skipped."""
    record = _bookkeeping(service.claim, job_id)
    if record is None:
        log.info("job %s is not waiting to run (done, or running elsewhere): skipped", job_id)
        return "skipped"
    ctx = JobContext(record)
    try:
        beating = (Heartbeat(db.engine, job_id, service.lease_seconds())
                   if service.heartbeat_needed() else nullcontext())
        with beating:
            result = work(dict(record.params or {}), ctx)
        # The work's last writes, then the outcome in a transaction of its own: on SQLite one
        # that read before another writer's commit (a broker's click, a re-sent message) may
        # not write any more.
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        again = isinstance(exc, RETRYABLE) and task.request.retries < (task.max_retries or 0)
        _bookkeeping(service.fail, job_id, exc, final=not again)
        if again:
            log.warning("job %s failed, will retry: %s", job_id, exc)
            raise  # autoretry_for sends it again with exponential backoff
        log.exception("job %s (%s) failed", job_id, record.kind)
        _steps(job_id, ctx.finished)
        return "failed"
    _bookkeeping(service.succeed, job_id, result or {})
    _steps(job_id, [*ctx.after, *ctx.finished])
    return "succeeded"


def _bookkeeping(step: Callable, *args, **kwargs):
    """A short write to the ``jobs`` table, tried again when the database refused it.

    On SQLite a job's transactions are deferred (``extensions._sqlite_begin``): one that read
    before another writer committed is refused at once ("database is locked"), and a fresh
    transaction is not. Without this, the work was done but its outcome never recorded.
    """
    for attempt in range(BOOKKEEPING_TRIES):
        try:
            return step(*args, **kwargs)
        except OperationalError:
            db.session.rollback()
            if attempt == BOOKKEEPING_TRIES - 1:
                raise
            time.sleep(0.05 * 2 ** attempt)
    return None  # not reached


def _steps(job_id: int, steps: list[Callable[[], object]]) -> None:
    for step in steps:
        try:
            step()
        except Exception:  # the job itself is done and recorded
            db.session.rollback()
            log.exception("after-commit step of job %s failed", job_id)
