"""Job kinds and their Celery tasks: ``@job("kind")`` turns ``work(params, ctx)`` into a task."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from contextlib import nullcontext

from celery import Task, shared_task
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, PendingRollbackError
from sqlalchemy.orm import Session

from ..errors import MatchmakerError
from ..extensions import begin_write, db
from ..records import Job
from ..services import jobs as service
from ..services.job_liveness import heartbeat_needed
from .heartbeat import Heartbeat

log = logging.getLogger(__name__)
#: Failures worth another try (database or mail server away, disk hiccup); any other error is
#: a fact about the input and fails the job at once.
RETRYABLE = (OperationalError, smtplib.SMTPException, OSError)
TASKS: dict[str, Task] = {}
#: Kinds a person waits for (a saved need's or patent's candidates and alerts, a booklet): a
#: running import share hands its remaining records on to let them in
#: (``services.import_follow_up.someone_waits``). Not mail (a share's own alerts may send it)
#: nor a rejection's lesson (every "not relevant" click queues one).
INTERACTIVE: set[str] = set()
BOOKKEEPING_TRIES = 5
#: runs of a job's work in one attempt when SQLite refused a write for another writer's commit
LOCKED_TRIES = 3


class JobContext:
    """What a job's work gets besides its parameters: progress reports and after-commit steps."""

    def __init__(self, job: Job):
        self.job = job
        self.after: list[Callable[[], object]] = []
        self.finished: list[Callable[[], object]] = []
        self._progress: tuple[int, int | None] | None = None

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress; it is saved, and the lease extended, with the work's next commit.

        Only then: an import reports every row, each written in a savepoint, and a ``jobs`` row
        changed in between was flushed inside the next row's savepoint (on SQLite, refused
        there as "database is locked" and the whole session broken). Nobody sees the progress
        before the commit anyway.
        """
        self._progress = (done, total)

    def _save_progress(self, session: Session) -> None:
        """``before_commit`` of the work's session: the last progress joins the commit."""
        if self._progress is not None and not session.in_nested_transaction():
            done, total = self._progress
            self._progress = None
            service.progress(self.job, done, total)

    def after_commit(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the job's outcome is committed (e.g. queue a follow-up job)."""
        self.after.append(step)

    def when_finished(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the job has ended, succeeded or failed for good (not on a retry)."""
        self.finished.append(step)


def job(kind: str, *, interactive: bool = False):
    """Register ``work(params, ctx) -> dict`` as the task of job ``kind``; ``interactive``: a
    person waits for it (``INTERACTIVE``)."""

    def decorator(work: Callable[[dict, JobContext], dict | None]) -> Task:
        @shared_task(
            name=f"matchmaker.jobs.{kind}", bind=True, acks_late=True,
            reject_on_worker_lost=True, autoretry_for=RETRYABLE, retry_backoff=True,
            retry_backoff_max=600, retry_jitter=True,
        )
        def task(self: Task, job_id: int) -> str:
            return run(self, job_id, work)

        TASKS[kind] = task
        if interactive:
            INTERACTIVE.add(kind)
        return task

    return decorator


def run(task: Task, job_id: int, work) -> str:
    """Claim job ``job_id``, run its work and record the outcome; duplicates are skipped."""
    record = _bookkeeping(service.claim, job_id)
    if record is None:
        log.info("job %s is not waiting to run (done, or running elsewhere): skipped", job_id)
        return "skipped"
    ctx = JobContext(record)
    session = db.session()
    event.listen(session, "before_commit", ctx._save_progress)
    try:
        try:
            result = _work_through_locks(job_id, work, record, ctx)
        except Exception as exc:
            cause = retryable_cause(exc)
            db.session.rollback()
            ctx._progress = None  # rolled back with the work
            again = cause is not None and task.request.retries < (task.max_retries or 0)
            _bookkeeping(service.fail, job_id, cause or exc, final=not again)
            if again:
                log.warning("job %s failed, will retry: %s", job_id, exc)
                if cause is exc:
                    raise  # autoretry_for sends it again with exponential backoff
                raise cause from exc
            if isinstance(exc, MatchmakerError):  # the user's input (a file without a
                # required column): its message says it all, no traceback for the admins' logs
                log.warning("job %s (%s) failed: %s", job_id, record.kind, exc)
            else:
                log.exception("job %s (%s) failed", job_id, record.kind)
            _steps(job_id, ctx.finished)
            return "failed"
        _bookkeeping(service.succeed, job_id, result or {})
    finally:
        event.remove(session, "before_commit", ctx._save_progress)
        # Also when the outcome could not be recorded: the retry then takes the job over.
        service.release(job_id)
    _steps(job_id, [*ctx.after, *ctx.finished])
    return "succeeded"


def _work_through_locks(job_id: int, work, record: Job, ctx: JobContext):
    """Run the work and commit it; a write SQLite refused because another writer committed
    after the work's transaction began ("database is locked" at once, whatever the busy
    timeout) runs the work again here, after a short pause, up to ``LOCKED_TRIES`` times.

    The work is idempotent like every job's (a retry runs it again anyway), but a Celery retry
    waits its backoff and then its turn behind every queued job: QA pass 6 saw a need's
    matching job fail so at its start and run again 3.5 minutes later, and one need 6 times.
    """
    for attempt in range(1, LOCKED_TRIES + 1):
        try:
            if attempt > 1:
                begin_write()  # the rerun's first transaction is a writer's: it cannot go stale
            beating = (Heartbeat(db.engine, job_id, service.lease_seconds())
                       if heartbeat_needed() else nullcontext())
            with beating:
                result = work(dict(record.params or {}), ctx)
            # The work's last writes, then the outcome in a transaction of its own: on SQLite
            # one that read before another writer's commit (a broker's click, a re-sent
            # message) may not write any more.
            db.session.commit()
            return result
        except Exception as exc:
            if attempt == LOCKED_TRIES or not _locked(retryable_cause(exc)):
                raise
            db.session.rollback()
            ctx.after.clear()
            ctx.finished.clear()
            ctx._progress = None
            log.info("job %s: the database refused a write (%s); running it again", job_id, exc)
            time.sleep(0.2 * attempt)
    return None  # not reached


def _locked(cause: BaseException | None) -> bool:
    """SQLite's "database is locked" / "busy" (another writer), not any other failure."""
    text = str(getattr(cause, "orig", cause) or "").lower()
    return isinstance(cause, OperationalError) and ("locked" in text or "busy" in text)


def retryable_cause(exc: BaseException) -> BaseException | None:
    """The passing failure behind ``exc`` (itself when in ``RETRYABLE``), else None.

    A session whose flush was refused by the database (SQLite "database is locked") raises
    PendingRollbackError at its next use; the refusal is the cause, and it passes. SQLAlchemy
    keeps it only on the broken transaction, so this must run before the rollback.
    """
    if isinstance(exc, RETRYABLE):
        return exc
    if isinstance(exc, PendingRollbackError):
        session = db.session()
        for transaction in (session.get_nested_transaction(), session.get_transaction()):
            original = getattr(transaction, "_rollback_exception", None)
            if isinstance(original, RETRYABLE):
                return original
    return None


def _bookkeeping(step: Callable, *args, **kwargs):
    """A short write to the ``jobs`` table, in a writer's transaction, tried again when the
    database refused it.

    On SQLite a job's transactions are deferred (``extensions._sqlite_begin``): one that read
    before another writer committed is refused at once ("database is locked"). This one takes
    the write lock at its start (``begin_write``), waiting for other writers instead. Without
    this, the work was done but its outcome never recorded.
    """
    for attempt in range(BOOKKEEPING_TRIES):
        try:
            begin_write()
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
