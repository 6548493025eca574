"""Webhook deliveries as jobs: queued after the response, signed, retried after the backoff,
and a failing endpoint's subscription disabled; eagerly and on Celery's test worker."""

from __future__ import annotations

import json
import time

from flask_babel import refresh
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.jobs.webhooks import NAME
from matchmaker.records import WebhookDelivery, WebhookSubscription
from matchmaker.services import webhooks
from tests.api_support import bearer, token_for
from tests.test_api_webhooks import (  # noqa: F401  (fixtures)
    _enterprise_with_hook,
    held_deliveries,
    receiver,
)
from tests.test_jobs import broker_config, worker

NEED = {"title": "焦炉煤气制氢需求", "description": "希望利用焦炉煤气制取高纯氢。"}


def _post_need(app, user):
    answer = app.test_client().post("/api/v1/needs", headers=bearer(token_for(user)), json=NEED)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer


def _until(check, timeout: float, what: str, show=lambda: None):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # see the worker's commits
        done = check()
        db.session.rollback()  # and hold no SQLite lock while waiting
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {show()}")
        time.sleep(0.2)


def test_eager_delivery_waits_for_the_response_then_posts_signed(app, receiver):  # noqa: F811
    user, sub = _enterprise_with_hook(receiver)
    answer = _post_need(app, user)
    assert receiver.received == []  # the request only stored the delivery
    answer.close()  # the server has sent the answer: the delivery job runs (eagerly) now
    [(headers, body)] = receiver.received
    assert json.loads(body)["data"]["need_id"] == answer.json["id"]
    assert webhooks.verify(sub.secret, headers["X-Matchmaker-Signature"], body)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 204)
    refresh()  # the test's one app context remembers the requests' locale; a command has its own
    result = app.test_cli_runner().invoke(env={"MATCHMAKER_LANGUAGE": "en"}, args=["webhooks", "deliver-due"])
    assert "nothing due" in result.output and len(receiver.received) == 1


def test_eager_failures_retry_with_the_backoff_then_disable(app, receiver, monkeypatch):  # noqa: F811
    app.config.update(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_MAX_FAILURES=3)
    user, sub = _enterprise_with_hook(receiver)
    receiver.answers = [500] * 5
    task = app.extensions["celery"].tasks[NAME]
    countdowns = []
    retry = task.retry
    monkeypatch.setattr(task, "retry", lambda **kw: countdowns.append(kw["countdown"])
                        or retry(**kw))
    _post_need(app, user).close()
    assert len(receiver.received) == 3  # eager retries run at once; a worker waits
    assert 29 <= countdowns[0] <= 31 and 59 <= countdowns[1] <= 61
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 500)
    db.session.refresh(sub)
    assert sub.active is False and "3 consecutive" in sub.disabled_reason


def test_a_scheduled_retry_is_skipped_after_another_sender_made_the_attempt(
        app, receiver, held_deliveries):  # noqa: F811
    _user, _sub = _enterprise_with_hook(receiver)
    receiver.answers = [500]
    [delivery_id] = webhooks.emit("need.posted", {"need_id": 1}, lambda u: True)
    assert held_deliveries == [delivery_id]
    assert webhooks.deliver(delivery_id) == "retry"  # the job's first attempt
    assert webhooks.deliver(delivery_id) == "delivered"  # the sweeper got there first
    assert webhooks.deliver(delivery_id, after_attempts=1) == "skipped"  # the job's retry
    assert len(receiver.received) == 2


def test_worker_delivers_retries_and_disables(app_factory, receiver, monkeypatch):  # noqa: F811
    app = app_factory({**broker_config("embedded"), "WEBHOOK_MAX_ATTEMPTS": 5,
                       "WEBHOOK_MAX_FAILURES": 3})
    monkeypatch.setattr(webhooks, "BACKOFF_BASE", 1)  # 1 s, 2 s: the worker runs in this process

    def rows():
        return [(r.status, r.attempts) for r in db.session.scalars(
            select(WebhookDelivery).order_by(WebhookDelivery.id))]

    with app.app_context():
        user, sub = _enterprise_with_hook(receiver)
        sub_id, secret = sub.id, sub.secret
        _post_need(app, user).close()
        db.session.rollback()
        time.sleep(1)
        assert receiver.received == []  # nothing is sent without a worker
        with worker(app):
            _until(lambda: rows() == [("delivered", 1)], 60, "the first delivery", rows)
            receiver.answers = [500, 500, 500]
            _post_need(app, user).close()
            _until(lambda: db.session.get(WebhookSubscription, sub_id).active is False, 60,
                   "the subscription to be disabled", rows)
        assert rows() == [("delivered", 1), ("failed", 3)]  # 3 of 5 attempts: then disabled
        assert len(receiver.received) == 4
        assert all(webhooks.verify(secret, h["X-Matchmaker-Signature"], b)
                   for h, b in receiver.received)
        db.session.rollback()


def test_an_api_import_job_fires_import_finished_when_it_ends(app, receiver):  # noqa: F811
    user, sub = _enterprise_with_hook(receiver, events=("import.finished",))
    auth = bearer(token_for(user))
    made = app.test_client().post("/api/v1/imports/needs?filename=needs.csv", data=b"a,b\n1,2\n",
                                  headers={**auth, "Content-Type": "text/csv"})
    assert made.status_code == 202 and receiver.received == []
    made.close()  # the import job runs (and fails: no known columns), then its webhook goes
    [(headers, body)] = receiver.received
    payload = json.loads(body)
    assert payload["event"] == "import.finished"
    assert payload["data"]["job_id"] == made.get_json()["id"]
    assert webhooks.verify(sub.secret, headers["X-Matchmaker-Signature"], body)
    status = app.test_client().get(payload["data"]["url"], headers=auth).get_json()
    assert status["status"] == "failed" and status["error"]
