"""A long job renews its lease while it runs, so recovery never takes it for dead (issue 13)."""

from __future__ import annotations

import time
import uuid

from matchmaker.extensions import db
from matchmaker.jobs.heartbeat import Heartbeat
from matchmaker.records import Job, JobStatus, utcnow
from matchmaker.services import jobs
from matchmaker.services.job_recovery import recover
from tests import factories as f
from tests import job_kinds  # noqa: F401  (registers the test_slow kind)
from tests.test_jobs import wait_for, worker

LEASE = 3  # seconds; the heartbeat renews it every second


def test_a_job_running_past_its_lease_is_not_recovered_nor_run_twice(app_factory, tmp_path,
                                                                     backend):
    """PostgreSQL: the heartbeat renews the lease. SQLite: the live worker process counts."""
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"lease-{uuid.uuid4().hex[:8]}",
                       "JOB_LEASE_SECONDS": LEASE}, backend=backend)
    marker = tmp_path / "attempts.txt"
    with app.app_context(), worker(app):
        # One step of 4 leases that reports no progress, like encoding a big import.
        job_id = jobs.submit("test_slow", {"marker": str(marker), "seconds": 4 * LEASE}).id
        db.session.rollback()  # hold no SQLite read lock while the worker writes
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.2)
        time.sleep(2 * LEASE)  # the lease taken at the claim has long run out
        running = db.session.get(Job, job_id)
        assert running.status is JobStatus.RUNNING
        renewed = running.lease_until > utcnow()
        assert renewed if backend == "postgresql" else not renewed
        db.session.rollback()
        assert recover() == []  # alive: not sent again
        db.session.rollback()
        jobs.send(job_id)  # a broker delivering it again (Redis after its visibility timeout)
        done = wait_for(job_id)
        time.sleep(1)  # let the second message arrive and be skipped
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 1 and done.error is None
    assert len(marker.read_text().split()) == 1  # the work ran once


def test_the_heartbeat_renews_only_a_job_this_worker_runs(db_app, tmp_path):
    job = jobs.submit("test_slow", {"marker": str(tmp_path / "marker"), "seconds": 0})  # eager: done at once
    db.session.commit()
    assert db.session.get(Job, job.id).status is JobStatus.SUCCEEDED
    assert Heartbeat(db.engine, job.id, LEASE).beat() is False  # finished: no lease to renew
    running = Job(kind="test_slow", params={}, status=JobStatus.RUNNING, worker=jobs.worker_id(),
                  lease_until=utcnow())
    elsewhere = Job(kind="test_slow", params={}, status=JobStatus.RUNNING, worker="other:1",
                    lease_until=utcnow())
    db.session.add_all([running, elsewhere])
    db.session.commit()
    ids = running.id, elsewhere.id
    db.session.rollback()  # no read snapshot from before the beats
    assert Heartbeat(db.engine, ids[0], 600).beat() is True
    assert Heartbeat(db.engine, ids[1], 600).beat() is False
    db.session.rollback()
    assert (running.lease_until - utcnow()).total_seconds() > 590
    assert (elsewhere.lease_until - utcnow()).total_seconds() < 1
    f.org()  # the session still works after the heartbeat's own transactions
    db.session.commit()
