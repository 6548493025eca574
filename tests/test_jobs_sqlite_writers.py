"""Job bookkeeping from a session that read before another writer committed (QA pass 6, the
README's default deployment: SQLite, brokers clicking while the job worker works).

SQLite refuses at once the first write of a transaction whose snapshot another writer's commit
made stale ("database is locked", whatever the busy timeout). Sending a job after a response
and the worker's recovery sweep read first, then wrote: the job stayed unsent until the next
sweep, two minutes later, and a killed import stayed "running" under its dead worker."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, utcnow
from matchmaker.services import jobs
from matchmaker.services.job_recovery import recover
from tests import job_kinds  # noqa: F401  (registers test_noop)


def _stale_read() -> None:
    """Open a read transaction, then let another connection commit a write."""
    db.session.execute(select(Job.id)).all()
    with sqlite3.connect(db.engine.url.database, isolation_level=None) as other:
        other.execute("CREATE TABLE IF NOT EXISTS neighbour (n INTEGER)")
        other.execute("INSERT INTO neighbour VALUES (1)")
    other.close()


def _unsent(**values) -> int:
    job = Job(kind="test_noop", params={}, status=JobStatus.QUEUED, **values)
    db.session.add(job)
    db.session.commit()
    return job.id


def test_a_job_is_sent_from_a_session_whose_snapshot_went_stale(app):
    job_id = _unsent()
    _stale_read()
    jobs.send(job_id)  # eager here: sent, then run
    db.session.rollback()
    assert db.session.get(Job, job_id).status is JobStatus.SUCCEEDED


def test_recovery_works_from_a_session_whose_snapshot_went_stale(app):
    dead = _unsent(worker="gone-host:1", lease_until=utcnow() - timedelta(minutes=5))
    db.session.get(Job, dead).status = JobStatus.RUNNING
    db.session.commit()
    _stale_read()
    assert recover() == [dead]
    db.session.rollback()
    assert db.session.get(Job, dead).status is JobStatus.SUCCEEDED  # sent again, and run


def test_a_records_candidates_are_written_after_other_writers_commit_during_its_ranking(app):
    """QA pass 7: a need's matching job was refused three times within 0.8 s on
    ``INSERT INTO matches`` while brokers clicked: the ranking reads, another writer commits,
    the first write of the stale transaction is refused at once."""
    from sqlalchemy import event, func

    from matchmaker.records import Match
    from matchmaker.services import matching
    from tests import factories as f

    need = f.need("稀土合金降本需求", "希望找到一种稀土合金及其制备方法。")
    f.patent("一种稀土合金及其制备方法", "本发明公开了一种稀土合金及其制备方法。")
    db.session.commit()
    matching.rebuild_indexes()
    other = sqlite3.connect(db.engine.url.database, timeout=0.02, isolation_level=None)
    other.execute("CREATE TABLE IF NOT EXISTS neighbour (n INTEGER)")
    commits = []

    def neighbour(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            try:
                other.execute("INSERT INTO neighbour VALUES (1)")
                commits.append(1)
            except sqlite3.OperationalError:  # the job holds the write lock: nobody gets in
                pass

    event.listen(db.engine, "after_cursor_execute", neighbour)
    try:
        written = matching.match_and_store_need(need.id)
    finally:
        event.remove(db.engine, "after_cursor_execute", neighbour)
        other.close()
    assert commits and written >= 1
    assert db.session.scalar(select(func.count(Match.id)).where(Match.need_id == need.id)) >= 1


def test_a_retried_jobs_progress_never_goes_back(app):
    """QA pass 6: an import resumed after a kill showed 1000, then 500, then 2258 rows."""
    job = Job(kind="test_noop", params={}, status=JobStatus.RUNNING, attempts=1,
              progress_done=0, progress_total=2258)
    db.session.add(job)
    db.session.commit()
    jobs.progress(job, 1000, 2258)
    job.attempts = 2  # killed, then resumed from the top of the file
    jobs.progress(job, 500, 2258)
    assert job.progress_done == 1000
    jobs.progress(job, 1500, 2258)
    assert job.progress_done == 1500
    job.attempts = 1
    jobs.progress(job, 200, 2258)  # a first attempt reports what it does
    assert job.progress_done == 200
