"""SQLite under concurrent writers: WAL, a busy timeout and BEGIN IMMEDIATE (issue 14, point 7)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from matchmaker.extensions import db


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(app):
    """Two requests that read, think, then write: the loser used to get "database is locked"."""
    engine = db.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    errors: list[BaseException] = []
    start = threading.Event()

    def worker():
        start.wait()
        try:
            with app.test_request_context(), engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar()
                time.sleep(0.2)  # both transactions have read before either writes
                conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except BaseException as exc:  # collected: the assertion names it
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(30)
    assert errors == []
    with engine.connect() as conn:
        # Serialised writers: neither increment is lost.
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 2


def test_a_long_job_transaction_outside_requests_blocks_no_request(app):
    """Jobs and commands keep deferred transactions: a job reading for minutes (batch matching)
    must not hold the write lock that every request needs."""
    engine = db.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    with engine.connect() as job:  # outside any request: a job or a CLI command
        with job.begin():
            job.execute(text("SELECT n FROM counter")).scalar()  # a read, then a long think
            started = time.perf_counter()
            with app.test_request_context(), engine.begin() as request_conn:
                request_conn.execute(text("UPDATE counter SET n = 1 WHERE id = 1"))
            assert time.perf_counter() - started < 2  # the request never waited on the job
