"""Background jobs: every task on a real Celery worker (embedded queue, Redis, RabbitMQ), retries,
duplicates, a killed worker, the request path that only queues, and the job pages."""

from __future__ import annotations

import os
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

from matchmaker.booklet.cache import booklet_dir
from matchmaker.extensions import db
from matchmaker.jobs import queues
from matchmaker.records import (
    EventPatent,
    Job,
    JobStatus,
    Match,
    Notification,
    OrgKind,
    Patent,
    ReleaseEvent,
    Role,
)
from matchmaker.services import jobs
from matchmaker.services.job_errors import error_message
from tests import factories as f

CSV = (
    "公开号,专利名称,摘要,IPC分类号,法律状态,许可方式\n"
    "CN117000001A,一种稀土储氢合金,本发明公开了一种稀土储氢合金。,C22C 19/00,有效,转让\n"
    "不是公开号,一种错误行,摘要,H01F 1/057,有效,转让\n"
)
SERVERS = {"redis": ("Redis", 6379, "redis://127.0.0.1:6379/15"),
           "rabbitmq": ("RabbitMQ", 5672, "amqp://guest:guest@127.0.0.1:5672//")}
TRANSPORTS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("redis", marks=pytest.mark.redis, id="redis"),
    pytest.param("rabbitmq", marks=pytest.mark.rabbitmq, id="rabbitmq"),
]


def broker_config(transport: str) -> dict:
    """Queue settings for a transport: a queue of its own; skipped when the server is down."""
    config = {"JOBS_EAGER": False, "JOB_QUEUE": f"test-{uuid.uuid4().hex[:12]}"}
    if transport in SERVERS:
        name, port, url = SERVERS[transport]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            pytest.skip(f"{name} is not running on 127.0.0.1:{port} (.ci/run starts it)")
        config["JOB_BROKER_URL"] = url
    return config


@pytest.fixture(params=TRANSPORTS)
def queued_app(request, app_factory):
    """An app whose jobs go to a real queue (not eager), one per transport."""
    app = app_factory(broker_config(request.param))
    with app.app_context():
        yield app
    if request.param == "rabbitmq":  # leave no test queue behind on the shared server
        with app.extensions["celery"].connection_for_write() as conn:
            for name in queues(app.config):
                conn.default_channel.queue_delete(name)


@contextmanager
def worker(app, **options):
    """Celery's test worker for ``app``, in a thread of this process (``queues=[...]``: only
    those; by default both of the app's)."""
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False,
                      shutdown_timeout=30, **options):
        yield


def wait_for(job_id: int, timeout: float = 90) -> Job:
    """Poll until the job has finished; returns it detached, with the session's locks freed."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            db.session.expunge(job)
            db.session.rollback()
            return job
        state = f"job {job_id} ({job.kind}) still {job.status.value}"
        # Free the session's locks before waiting: on SQLite every transaction starts with
        # BEGIN IMMEDIATE, and a poller holding one would keep the worker from writing.
        db.session.rollback()
        if time.monotonic() > deadline:
            raise AssertionError(state)
        time.sleep(0.2)


def upload(app, content: str = CSV, name: str = "patents.csv") -> str:
    path = f"{app.instance_path}/uploads-test-{uuid.uuid4().hex}-{name}"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content)
    return path


# --- every task on a real worker ------------------------------------------------------------


def test_import_job_commits_rows_and_reports_each_row(queued_app):
    uni = f.org(OrgKind.UNIVERSITY, name="甲大学")
    actor = f.user(Role.UNIVERSITY, uni, username="uni1")
    db.session.commit()
    path = upload(queued_app)
    job = jobs.submit("import_patents", {"path": path, "filename": "patents.csv",
                                         "owner_id": uni.id, "actor_id": actor.id}, user=actor)
    assert job.status is JobStatus.QUEUED and db.session.scalar(select(func.count(Patent.id))) == 0
    with worker(queued_app):
        done = wait_for(job.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert (done.result["created"], done.result["failed"]) == (1, 1)
    assert done.result["errors"][0]["row"] == 3 and done.result["errors"][0]["where"] == "公开号"
    assert (done.progress_done, done.progress_total, done.attempts) == (2, 2, 1)
    saved = db.session.scalar(select(Patent).where(Patent.publication_number == "CN117000001A"))
    assert saved.owner_id == uni.id
    assert not os.path.exists(path)  # the upload is removed once imported


def test_index_and_matching_jobs(queued_app):
    uni = f.org(OrgKind.UNIVERSITY, name="甲大学")
    broker = f.user(Role.BROKER, username="broker1")
    for title in ("一种稀土永磁材料的制备方法", "一种烧结钕铁硼磁体的晶界扩散方法"):
        f.patent(title=title, owner=uni)
    need = f.need(title="烧结钕铁硼磁体降本需求", broker=broker)
    patent = f.patent(title="一种钕铁硼磁体降本工艺", owner=uni)
    db.session.commit()
    need_id, patent_id = need.id, patent.id
    with worker(queued_app):
        built = wait_for(jobs.submit("build_index").id)
        matched = wait_for(jobs.submit("match_need", {"need_id": need_id, "announce": True}).id)
        listed = wait_for(jobs.submit("match_patent", {"patent_id": patent_id}).id)
        batch = wait_for(jobs.submit("batch_match").id)
    assert built.status is JobStatus.SUCCEEDED and built.result["patents"]["count"] == 3
    assert matched.status is JobStatus.SUCCEEDED and matched.result["stored"] >= 1
    assert listed.status is JobStatus.SUCCEEDED and listed.result["warnings"] == []
    assert batch.status is JobStatus.SUCCEEDED and batch.result["needs"] == 1
    assert db.session.scalar(select(func.count(Match.id)).where(Match.need_id == need_id)) >= 1
    # announcing the need ran its alerts in the worker: the assigned broker was told
    notes = list(db.session.scalars(select(Notification).where(Notification.user_id == broker.id)))
    assert [n.kind for n in notes] == ["need_posted"]


class _Inbox:
    def __init__(self):
        self.rcpts: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.rcpts.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_alert_job_then_mail_job(queued_app, smtp_port):
    inbox, port = smtp_port
    queued_app.config.update(MAIL_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    broker = f.user(Role.BROKER, username="b1", email="b1@broker.example")
    need = f.need(title="高矫顽力磁体需求", broker=broker)
    db.session.commit()
    with worker(queued_app):
        alert = wait_for(jobs.submit("alert_need_posted", {"need_id": need.id}).id)
        mail = db.session.scalar(select(Job).where(Job.kind == "mail"))
        mail = wait_for(mail.id)
    assert alert.status is JobStatus.SUCCEEDED and alert.result == {"notifications": 1}
    assert mail.status is JobStatus.SUCCEEDED and mail.result["sent"] == 1
    assert inbox.rcpts == ["b1@broker.example"]
    assert db.session.scalar(select(Notification.emailed)) is True


def test_booklet_job_writes_the_pdf(queued_app):
    broker = f.user(Role.BROKER, username="b1")
    event = ReleaseEvent(number="第1期", name="稀土专场", venue="包头",
                         held_on=date.today() + timedelta(days=3), created_by_id=broker.id)
    db.session.add(event)
    db.session.add(EventPatent(event=event, patent=f.patent(owner=f.org(OrgKind.UNIVERSITY)),
                               position=1))
    db.session.commit()
    with worker(queued_app):
        done = wait_for(jobs.submit("booklet", {"event_id": event.id}).id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result["rendered"] is True and done.result["bytes"] > 1000
    (kept,) = booklet_dir(queued_app.instance_path).glob(f"event-{event.id}-*.pdf")
    assert kept.read_bytes()[:5] == b"%PDF-" and kept.stat().st_size == done.result["bytes"]


def test_jobs_a_person_waits_for_have_a_queue_of_their_own(queued_app):
    """A worker on the interactive queue runs a posted need's alerts and leaves an import queued
    (``flask worker --interactive``, started by ``script/server`` beside the main worker)."""
    uni = f.org(OrgKind.UNIVERSITY, name="甲大学")
    broker = f.user(Role.BROKER, username="b1")
    need = f.need(title="高矫顽力磁体需求", broker=broker)
    db.session.commit()
    importer = jobs.submit("import_patents", {"path": upload(queued_app), "filename": "p.csv",
                                              "owner_id": uni.id})
    alert = jobs.submit("alert_need_posted", {"need_id": need.id})
    everyone, interactive = queues(queued_app.config)
    with worker(queued_app, queues=[interactive]):
        alerted = wait_for(alert.id)
        time.sleep(1)  # time enough to take the import too, were it in this queue
        db.session.rollback()
        assert db.session.get(Job, importer.id).status is JobStatus.QUEUED
        db.session.rollback()
    assert alerted.status is JobStatus.SUCCEEDED and alerted.result == {"notifications": 1}
    assert db.session.scalar(select(func.count(Patent.id))) == 0
    # the main worker takes both queues (named: the first worker's choice stays on the app)
    with worker(queued_app, queues=[everyone, interactive]):
        imported = wait_for(importer.id)
    assert imported.status is JobStatus.SUCCEEDED and imported.result["created"] == 1
    assert everyone == queued_app.config["JOB_QUEUE"] and interactive != everyone


@pytest.mark.parametrize("transport", [p for p in TRANSPORTS if p.id != "rabbitmq"])
def test_a_worker_on_both_queues_runs_a_waiting_persons_job_before_older_bulk_jobs(
        app_factory, transport):
    """Without an interactive worker (``INTERACTIVE_WORKER=0``, a machine with one ``flask
    worker``) a posted need's job still goes before the imports queued ahead of it: the worker
    polls the interactive queue first (the embedded queue and Redis; RabbitMQ delivers from
    both queues as messages come)."""
    app = app_factory(broker_config(transport))
    with app.app_context():
        uni = f.org(OrgKind.UNIVERSITY, name="甲大学")
        broker = f.user(Role.BROKER, username="b1")
        needs = [f.need(title=f"高矫顽力磁体需求{i}", broker=broker).id for i in range(2)]
        db.session.commit()
        imports = [jobs.submit("import_patents", {"path": upload(app), "filename": "p.csv",
                                                  "owner_id": uni.id}).id for _ in range(2)]
        alerts = [jobs.submit("alert_need_posted", {"need_id": i}).id for i in needs]
        with worker(app):
            done = {job_id: wait_for(job_id) for job_id in [*imports, *alerts]}
    assert all(job.status is JobStatus.SUCCEEDED for job in done.values())
    # taking the queues in turn ran the second alert after an import
    assert max(done[a].started_at for a in alerts) < min(done[i].started_at for i in imports)


# --- retries, duplicates, failures ----------------------------------------------------------


def test_mail_job_retries_with_backoff_then_fails_keeping_the_notification(app_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket closes
    app = app_factory({**broker_config("embedded"), "JOB_MAX_RETRIES": 2, "MAIL_ENABLED": True,
                       "SMTP_HOST": "127.0.0.1", "SMTP_PORT": closed})
    with app.app_context():
        broker = f.user(Role.BROKER, username="b1", email="b1@broker.example")
        note = Notification(user_id=broker.id, kind="need_posted", message="新需求")
        db.session.add(note)
        db.session.commit()
        with worker(app):
            done = wait_for(jobs.submit("mail", {"notification_ids": [note.id]}).id)
        assert done.status is JobStatus.FAILED and done.attempts == 3  # 1 try + 2 retries
        assert "MailPending" in done.error
        assert db.session.get(Notification, note.id).emailed is False


def test_a_bad_input_fails_at_once_with_a_clear_error(queued_app):
    path = upload(queued_app, "专利名称\n一种合金\n")  # the key column is missing
    with worker(queued_app):
        done = wait_for(jobs.submit("import_patents", {"path": path, "filename": "p.csv"}).id)
    assert done.status is JobStatus.FAILED and done.attempts == 1
    assert error_message(done).startswith("缺少必需的列")  # stored as its msgid


def test_a_message_delivered_twice_runs_the_work_once(app_factory):
    app = app_factory(broker_config("embedded"))
    with app.app_context():
        uni = f.org(OrgKind.UNIVERSITY)
        db.session.commit()
        job = jobs.submit("import_patents", {"path": upload(app), "filename": "p.csv",
                                             "owner_id": uni.id})
        jobs.send(job.id)  # as a broker redelivering, or ``recover`` racing a live worker
        with worker(app):
            done = wait_for(job.id)
            time.sleep(2)  # let the second message arrive and be skipped
        assert done.status is JobStatus.SUCCEEDED and done.result["created"] == 1
        db.session.rollback()
        assert db.session.get(Job, job.id).attempts == 1


def test_unknown_kind_is_refused_before_anything_is_stored(app):
    with pytest.raises(ValueError, match="unknown job kind"):
        jobs.submit("no-such-kind")
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_a_connection_left_inside_a_transaction_is_reset_before_the_next_begin(app):
    """A COMMIT that met a lock (possible without WAL) leaves pysqlite inside a transaction that
    SQLAlchemy counts as ended; the connection's next BEGIN must not fail on it."""
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(select(func.count(Job.id))).scalar()
        conn.commit()
        raw = conn.connection.dbapi_connection
        raw.execute("BEGIN")  # the state a failed COMMIT leaves behind
        assert raw.in_transaction
        conn.execute(Job.__table__.insert().values(kind="mail", status="queued", params={},
                                                   progress_done=0, attempts=0))
        conn.commit()
        assert conn.execute(select(func.count(Job.id))).scalar() == 1
