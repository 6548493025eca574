"""Webhooks: events become signed deliveries; retries back off; failing endpoints get disabled."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import OrgKind, Role, WebhookDelivery, utcnow
from matchmaker.services import webhooks
from tests import factories as f
from tests.api_support import bearer, token_for


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.answers.pop(0) if self.server.answers else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def held_deliveries(monkeypatch):
    """Keep new deliveries off the (eager) jobs, so a test sends them itself; their ids."""
    from matchmaker.jobs import webhooks as task

    held = []
    monkeypatch.setattr(task, "enqueue", held.extend)
    return held


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_port}/hook"


def _enterprise_with_hook(server, events=("need.posted",)):
    # The receiver listens on 127.0.0.1: allowed only with the on-premise setting.
    current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    org = f.org(OrgKind.ENTERPRISE)
    user = f.user(Role.ENTERPRISE, org)
    sub = webhooks.create_subscription(org, _url(server), list(events), actor=user)
    return user, sub


def test_deliver_due_sweeps_what_no_job_sent(app, receiver):
    user, sub = _enterprise_with_hook(receiver)
    outsider, outsider_sub = _enterprise_with_hook(receiver)
    answer = app.test_client().post("/api/v1/needs", headers=bearer(token_for(user)), json={
        "title": "焦炉煤气制氢需求", "description": "希望利用焦炉煤气制取高纯氢。"})
    assert answer.status_code == 201  # not closed: as if the server died before queueing
    assert receiver.received == []  # never delivered inside the request
    rows = db.session.scalars(select(WebhookDelivery)).all()
    assert [r.subscription_id for r in rows] == [sub.id]  # the other enterprise hears nothing
    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhooks", "deliver-due"])
    assert "delivered 1" in result.output
    headers, body = receiver.received[0]
    payload = json.loads(body)
    assert payload["event"] == "need.posted" and payload["data"]["need_id"] == answer.json["id"]
    assert webhooks.verify(sub.secret, headers["X-Matchmaker-Signature"], body)
    assert not webhooks.verify(sub.secret, headers["X-Matchmaker-Signature"], body + b" ")
    assert not webhooks.verify(outsider_sub.secret, headers["X-Matchmaker-Signature"], body)


def test_a_record_announced_again_makes_no_second_delivery(app, receiver, held_deliveries):
    """need.posted / patent.listed once per record, also when a retried job sends the signal
    again for a record its killed attempt announced."""
    from matchmaker.signals import need_posted, patent_listed

    user, _sub = _enterprise_with_hook(receiver)
    need = f.need(enterprise=user.organization)
    uni = f.org(OrgKind.UNIVERSITY)
    owner = f.user(Role.UNIVERSITY, uni)
    webhooks.create_subscription(uni, _url(receiver), ["patent.listed"], actor=owner)
    patent = f.patent(owner=uni)
    db.session.commit()
    for _attempt in range(2):
        need_posted.send(app, need_id=need.id)
        patent_listed.send(app, patent_id=patent.id)
    events = sorted(db.session.scalars(select(WebhookDelivery.event)))
    assert events == ["need.posted", "patent.listed"]
    assert len(held_deliveries) == 2


def test_signature_is_hmac_over_timestamp_and_body():
    header = webhooks.signature_header("s3cret", b'{"a":1}', timestamp=1700000000)
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert webhooks.verify("s3cret", header, b'{"a":1}', now=1700000100)
    assert not webhooks.verify("s3cret", header, b'{"a":1}', now=1700001000)  # too old


def test_failures_retry_with_backoff_then_succeed(app, receiver, held_deliveries):
    _user, sub = _enterprise_with_hook(receiver)
    receiver.answers = [500, 503]
    [delivery_id] = webhooks.emit("need.posted", {"need_id": 1}, lambda u: True)
    assert webhooks.deliver(delivery_id) == "retry"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery.response_code == 500 and delivery.attempts == 1
    assert timedelta(seconds=25) < delivery.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert webhooks.due_ids() == []  # not due before the backoff
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    assert webhooks.deliver(delivery_id) == "retry"
    assert webhooks.backoff(2) == timedelta(seconds=60)
    assert webhooks.deliver(delivery_id) == "delivered"
    assert delivery.status == "delivered" and sub.consecutive_failures == 0
    assert len(receiver.received) == 3


def test_repeated_failures_disable_the_subscription(app, receiver, held_deliveries):
    app.config["WEBHOOK_MAX_FAILURES"] = 3
    _user, sub = _enterprise_with_hook(receiver)
    receiver.answers = [500] * 5
    ids = [webhooks.emit("need.posted", {"need_id": i}, lambda u: True)[0] for i in range(3)]
    outcomes = [webhooks.deliver(i) for i in ids]
    assert outcomes == ["retry", "retry", "failed"]
    assert sub.active is False and "3 consecutive" in sub.disabled_reason
    assert webhooks.emit("need.posted", {"need_id": 9}, lambda u: True) == []


def test_unreachable_endpoint_is_a_recorded_failure(app, held_deliveries):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    org = f.org(OrgKind.UNIVERSITY)
    user = f.user(Role.UNIVERSITY, org)
    webhooks.create_subscription(org, "http://127.0.0.1:9/closed", ["patent.listed"], actor=user)
    [delivery_id] = webhooks.emit("patent.listed", {"patent_id": 1}, lambda u: True)
    assert webhooks.deliver(delivery_id) == "retry"
    assert db.session.get(WebhookDelivery, delivery_id).error


def test_only_http_urls_and_own_organization(app):
    org = f.org(OrgKind.ENTERPRISE)
    user = f.user(Role.ENTERPRISE, org)
    for bad in ("file:///etc/passwd", "ftp://x.example/", "javascript:alert(1)", "http://"):
        with pytest.raises(ValidationError):
            webhooks.create_subscription(org, bad, ["need.posted"], actor=user)
    other = f.user(Role.ENTERPRISE)
    from matchmaker.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        webhooks.create_subscription(org, "https://x.example/h", ["need.posted"], actor=other)


def test_portal_webhook_page_and_delivery_log(app, receiver):
    from tests.pairs import client_as

    org = f.org(OrgKind.ENTERPRISE)
    f.user(Role.ENTERPRISE, org, username="ent")
    f.user(Role.BROKER, username="brk")
    db.session.commit()
    client = client_as(app, "ent")
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True  # the receiver is on 127.0.0.1
    page = client.post("/webhooks/", data={"organization": org.id, "url": _url(receiver),
                                           "events": ["need.posted", "match.moved"]},
                       follow_redirects=True)
    assert page.status_code == 200 and 'class="secret"' in page.get_data(as_text=True)
    sub = db.session.scalar(select(webhooks.WebhookSubscription))
    assert sub.event_list == ["need.posted", "match.moved"]
    assert client.get(f"/webhooks/{sub.id}/deliveries").status_code == 200
    assert client_as(app, "brk").get("/webhooks/").status_code == 403
