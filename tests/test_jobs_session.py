"""A job's database session in a worker: one broken task never breaks the next, a write the
database refused once is tried again, and matching a saved record retries instead of
succeeding with nothing stored.

``flask worker`` runs Celery inside the command's app context. Tasks once ran in that context
too, so they shared one session: a task whose bookkeeping failed in a flush ("database is
locked" on SQLite) left it broken, and every later task failed with PendingRollbackError while
their jobs stayed queued. The tests call the tasks as a worker does (not eagerly) inside an
app context, as that command holds one.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from matchmaker.extensions import db
from matchmaker.jobs.registry import TASKS
from matchmaker.records import Job, JobStatus
from matchmaker.services import jobs as service
from matchmaker.services import matching, records
from matchmaker.services.job_recovery import recover
from tests import factories as f
from tests import job_kinds  # noqa: F401  (registers test_noop)


def _queued() -> int:
    job = Job(kind="test_noop", params={}, status=JobStatus.QUEUED)
    db.session.add(job)
    db.session.commit()
    return job.id


def _locked() -> OperationalError:
    return OperationalError("UPDATE jobs ...", {}, Exception("database is locked"))


def _old_job(app, status: JobStatus, task_id: str) -> Job:
    """A stored job created a lease and a minute ago (the age ``recover`` looks for)."""
    from datetime import timedelta

    from matchmaker.records.base import utcnow

    job = Job(kind="test_noop", params={}, status=status, task_id=task_id,
              created_at=utcnow() - timedelta(seconds=app.config["JOB_LEASE_SECONDS"] + 60))
    db.session.add(job)
    db.session.commit()
    return job


def test_a_task_that_broke_its_session_does_not_break_the_next(app, monkeypatch):
    first, second = _queued(), _queued()
    real = service.succeed

    def broken(job_id, result):  # a flush fails: the session must be rolled back before reuse
        monkeypatch.setattr(service, "succeed", real)
        db.session.add(Job(kind=None, params={}, status=JobStatus.QUEUED))
        db.session.flush()

    monkeypatch.setattr(service, "succeed", broken)
    task = TASKS["test_noop"]
    with pytest.raises(IntegrityError):
        task(first)  # as the worker calls it: not eager, inside the command's app context
    assert task(second) == "succeeded"
    db.session.rollback()
    assert db.session.get(Job, second).status is JobStatus.SUCCEEDED


def test_a_write_the_database_refused_once_is_tried_again(app, monkeypatch):
    job_id = _queued()
    real, calls = service.succeed, []

    def refused_once(job_id, result):
        calls.append(job_id)
        if len(calls) == 1:
            raise _locked()
        return real(job_id, result)

    monkeypatch.setattr(service, "succeed", refused_once)
    assert TASKS["test_noop"](job_id) == "succeeded"
    assert len(calls) == 2
    db.session.rollback()
    done = db.session.get(Job, job_id)
    assert done.status is JobStatus.SUCCEEDED and done.result == {"done": True}


def test_a_write_refused_every_time_is_raised_for_the_task_to_retry(app, monkeypatch):
    job_id = _queued()
    monkeypatch.setattr(service, "succeed", lambda *a: (_ for _ in ()).throw(_locked()))
    monkeypatch.setattr("matchmaker.jobs.registry.time.sleep", lambda s: None)
    with pytest.raises(OperationalError):
        TASKS["test_noop"](job_id)


def test_matching_a_saved_record_lets_a_refused_write_retry_the_job(app, monkeypatch):
    need = f.need()
    db.session.commit()

    def refused(need_id, k=None):
        raise _locked()

    monkeypatch.setattr(matching, "match_and_store_need", refused)
    with pytest.raises(OperationalError):
        records.match_saved("need", need.id, announce=False)

    def broken(need_id, k=None):
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(matching, "match_and_store_need", broken)
    report = records.match_saved("need", need.id, announce=False)  # best effort, as before
    assert report["stored"] is None and len(report["warnings"]) == 1


def test_a_running_worker_keeps_sending_lost_jobs_again(app):
    """``jobs.recovery.sweep``: recovery ran only when a worker started, so a job whose queue
    message was used up before its claim waited for the next deployment."""
    import threading
    import time

    from matchmaker.jobs.recovery import sweep

    job_id = _old_job(app, JobStatus.QUEUED, "used-up").id
    db.session.rollback()
    stop = threading.Event()
    sweeper = threading.Thread(target=sweep, args=(app, 0.05, stop), daemon=True)
    sweeper.start()
    try:
        deadline = time.monotonic() + 20
        while db.session.get(Job, job_id).status is not JobStatus.SUCCEEDED:
            db.session.rollback()  # hold no lock while the sweeper writes
            assert time.monotonic() < deadline, "the sweeper never sent the lost job"
            time.sleep(0.05)
    finally:
        stop.set()
        sweeper.join(5)
    assert not sweeper.is_alive()


def test_a_lost_job_is_sent_again_once_per_lease_not_at_every_sweep(app_factory):
    """Workers sweep every few minutes; a job still waiting its turn (queued longer than the
    lease behind a long import) once gained a copy of its message at every sweep."""
    app = app_factory({"JOBS_EAGER": False})
    with app.app_context():
        lost = _old_job(app, JobStatus.QUEUED, "used-up")
        assert recover() == [lost.id]
        assert recover() == []  # sent a moment ago: not again within the lease
        db.session.execute(Job.__table__.update().values(lease_until=lost.created_at))
        db.session.commit()
        assert recover() == [lost.id]  # a lease later, still queued: once more


def test_a_job_waiting_for_its_retry_is_not_sent_again_meanwhile(app_factory):
    """Celery holds a retry with backoff; a sweep that sent the job too made two deliveries."""
    app = app_factory({"JOBS_EAGER": False})
    with app.app_context():
        job = _old_job(app, JobStatus.RUNNING, "t")
        service.fail(job.id, _locked(), final=False)  # as run() records a retryable failure
        assert db.session.get(Job, job.id).status is JobStatus.QUEUED
        assert recover() == []


def _queued_for(seconds: float, task_id: str = "sent") -> Job:
    from datetime import timedelta

    from matchmaker.records.base import utcnow

    job = Job(kind="test_noop", params={}, status=JobStatus.QUEUED, task_id=task_id,
              created_at=utcnow() - timedelta(seconds=seconds))
    db.session.add(job)
    db.session.commit()
    return job


def test_idle_workers_send_a_lost_job_again_long_before_its_lease(app_factory):
    """A Redis restarted without persistence forgets its queue: the job stayed queued for a
    whole lease (an hour) although every worker was idle."""
    app = app_factory({"JOBS_EAGER": False})
    with app.app_context():
        lost_after = app.config["JOB_LOST_SECONDS"]
        assert lost_after < app.config["JOB_LEASE_SECONDS"]
        fresh = _queued_for(lost_after / 2, "just-sent")  # may still be on its way
        lost = _queued_for(lost_after + 30)
        assert recover() == [lost.id]
        assert recover() == []  # once, then a lease before the next time
        assert db.session.get(Job, fresh.id).lease_until is None


def test_a_queued_job_waits_its_turn_while_workers_take_jobs(app_factory):
    """Behind a long import, queued jobs are not lost: a job started recently, or one still
    running, shows the queue is moving."""
    from datetime import timedelta

    from matchmaker.records.base import utcnow

    app = app_factory({"JOBS_EAGER": False})
    with app.app_context():
        waiting = _queued_for(app.config["JOB_LOST_SECONDS"] + 30)
        busy = Job(kind="test_noop", params={}, status=JobStatus.RUNNING, task_id="busy",
                   worker="elsewhere:1", started_at=utcnow() - timedelta(minutes=30),
                   lease_until=utcnow() + timedelta(minutes=30))
        db.session.add(busy)
        db.session.commit()
        assert recover() == []
        busy.status, busy.finished_at = JobStatus.SUCCEEDED, utcnow()
        just_started = Job(kind="test_noop", params={}, status=JobStatus.SUCCEEDED,
                           task_id="quick", started_at=utcnow() - timedelta(seconds=5))
        db.session.add(just_started)
        db.session.commit()
        assert recover() == []
        just_started.started_at = utcnow() - timedelta(seconds=app.config["JOB_LOST_SECONDS"] + 1)
        db.session.commit()
        assert recover() == [waiting.id]
