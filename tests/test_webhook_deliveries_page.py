"""The webhook delivery log and a disabled webhook's reason, in the screen's language.

The delivery log once showed the stored codes (need.posted, pending), raw UTC datetimes with
microseconds and a plain table; it now reads like the webhook list: the form's event labels,
translated states, local dates, and cards on a phone (``table.cards``). A webhook disabled
after failures stores "3 consecutive failures" (English, also in the API's answers); the list
shows it in the interface language, and any other stored reason as written.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.portal.integrations.forms import disabled_reason_text
from matchmaker.records import OrgKind, Role, WebhookDelivery, WebhookSubscription
from matchmaker.services import webhooks
from tests import factories as f
from tests.pairs import client_as
from tests.test_api_webhooks import (  # noqa: F401  (fixtures)
    _enterprise_with_hook,
    held_deliveries,
    receiver,
)

WEBHOOKS = "/webhooks/"


def _text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()


def _rows(html: str) -> list[dict[str, str]]:
    """The list's body rows as {data-label: cell text}."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [{label: _text(cell) for label, cell in
             re.findall(r'<td data-label="([^"]*)"[^>]*>(.*?)</td>', row, re.S)}
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _enterprise(app):
    org = f.org(OrgKind.ENTERPRISE)
    f.user(Role.ENTERPRISE, org, username="ent")
    db.session.commit()
    return org, client_as(app, "ent")


def _subscription(org, **kw) -> WebhookSubscription:
    sub = WebhookSubscription(organization_id=org.id, url="https://hooks.example.com/h",
                              secret="s" * 40, events="need.posted,match.moved", **kw)
    db.session.add(sub)
    db.session.flush()
    return sub


def _delivery(sub, event, status, **kw) -> WebhookDelivery:
    row = WebhookDelivery(subscription_id=sub.id, event=event, body="{}", status=status, **kw)
    db.session.add(row)
    db.session.flush()
    return row


# ---- the delivery log ----


def test_the_delivery_log_shows_labels_states_and_local_dates_as_cards(app):
    org, client = _enterprise(app)
    sub = _subscription(org)
    _delivery(sub, "need.posted", "failed", attempts=3, response_code=500, error="HTTP 500",
              created_at=datetime(2026, 3, 1, 16, 30, 5, 123456))  # UTC, stored naive
    _delivery(sub, "match.moved", "pending", attempts=1, response_code=503, error="HTTP 503",
              created_at=datetime(2026, 3, 1, 16, 44, 0, 1),
              next_attempt_at=datetime(2026, 3, 1, 16, 45, 7, 654321))
    _delivery(sub, "need.posted", "cancelled", attempts=1, error="subscription disabled",
              created_at=datetime(2026, 3, 2, 1, 0))
    _delivery(sub, "match.moved", "delivered", attempts=1, response_code=204,
              created_at=datetime(2026, 3, 2, 2, 0))
    db.session.commit()
    page = f"/webhooks/{sub.id}/deliveries"
    html = client.get(page).get_data(as_text=True)
    assert '<table class="data cards">' in html
    delivered, cancelled, pending, failed = _rows(html)  # newest first
    assert failed["事件"] == "发布新需求" and pending["事件"] == "配对进入其他阶段"
    assert failed["状态"] == "失败" and pending["状态"] == "待发送"
    assert cancelled["状态"] == "已取消" and delivered["状态"] == "已送达"
    assert failed["创建时间"] == "2026-03-02 00:30"  # Beijing time
    assert failed["下次尝试"] == "–"
    assert pending["下次尝试"] == "2026-03-02 00:45" and pending["创建时间"] == "2026-03-02 00:44"
    assert failed["响应"] == "500" and delivered["响应"] == "204"
    assert cancelled["响应"] == "未发送：Webhook 已停用"
    assert failed["尝试次数"] == "3"
    assert not re.search(r"\d\d:\d\d:\d\d", html)  # no raw datetime (nor its microseconds)
    for code in ("need.posted", "match.moved", "pending", "delivered", "cancelled"):
        assert code not in html
    client.post("/auth/language/en")
    english = client.get(page).get_data(as_text=True)
    delivered, cancelled, pending, failed = _rows(english)
    assert failed["Event"] == "A need is posted" and pending["Event"] == "A pair moves to another stage"
    assert failed["State"] == "Failed" and pending["State"] == "Waiting to be sent"
    assert cancelled["State"] == "Cancelled" and delivered["State"] == "Delivered"
    assert cancelled["Answer"] == "Not sent: the webhook is disabled"
    assert failed["Created at"] == "2026-03-02 00:30"


def test_unknown_events_and_states_show_as_stored(app):
    org, client = _enterprise(app)
    sub = _subscription(org)
    _delivery(sub, "legacy.event", "parked", error="ConnectionRefusedError: refused")
    db.session.commit()
    [row] = _rows(client.get(f"/webhooks/{sub.id}/deliveries").get_data(as_text=True))
    assert row["事件"] == "legacy.event" and row["状态"] == "parked"
    assert row["响应"] == "ConnectionRefusedError: refused"


def test_an_empty_delivery_log_says_so(app):
    org, client = _enterprise(app)
    sub = _subscription(org)
    db.session.commit()
    assert "暂无投递。" in client.get(f"/webhooks/{sub.id}/deliveries").get_data(as_text=True)


# ---- why a webhook is disabled ----


def _state(html: str, label: str) -> str:
    return next(row[label] for row in _rows(html) if label in row)


def test_a_webhook_disabled_after_failures_says_why_in_the_screens_language(
        app, receiver, held_deliveries):  # noqa: F811
    app.config["WEBHOOK_MAX_FAILURES"] = 2
    user, sub = _enterprise_with_hook(receiver)
    receiver.answers = [500] * 2
    ids = [webhooks.emit("need.posted", {"need_id": i}, lambda u: True)[0] for i in range(2)]
    assert [webhooks.deliver(i) for i in ids] == ["retry", "failed"]
    assert sub.active is False and sub.disabled_reason == "2 consecutive failures"  # stored as before
    client = client_as(app, user.username)
    html = client.get(WEBHOOKS).get_data(as_text=True)
    assert _state(html, "状态") == "已停用 (连续 2 次投递失败)"
    assert "consecutive" not in html
    client.post("/auth/language/en")
    assert _state(client.get(WEBHOOKS).get_data(as_text=True), "State") == \
        "disabled (2 consecutive failures)"


def test_a_reason_the_system_did_not_write_shows_as_stored(app):
    org, client = _enterprise(app)
    _subscription(org, active=False, disabled_reason="paused by the ops team (ticket 42)")
    _subscription(org, active=False, disabled_reason=None)  # disabled by hand
    db.session.commit()
    rows = _rows(client.get(WEBHOOKS).get_data(as_text=True))
    assert [row["状态"] for row in rows] == ["已停用 (paused by the ops team (ticket 42))", "已停用"]
    client.post("/auth/language/en")
    rows = _rows(client.get(WEBHOOKS).get_data(as_text=True))
    assert [row["State"] for row in rows] == ["disabled (paused by the ops team (ticket 42))",
                                              "disabled"]


def test_disabled_reason_text_reads_the_stored_sentence(app):
    with app.test_request_context("/"):
        assert disabled_reason_text("3 consecutive failures") == "连续 3 次投递失败"
        assert disabled_reason_text(None) == "" and disabled_reason_text("") == ""
        assert disabled_reason_text("3 consecutive failures, then more") == \
            "3 consecutive failures, then more"
        with force_locale("en"):
            assert disabled_reason_text("1 consecutive failures") == "1 consecutive failure"
            assert disabled_reason_text("12 consecutive failures") == "12 consecutive failures"


def test_a_delivery_refused_before_posting_reads_in_the_screens_language(
        app, receiver, held_deliveries):  # noqa: F811
    """The worker (no request, default locale) once stored "refused: <the Chinese message>";
    it now stores one English code that each screen translates."""
    user, sub = _enterprise_with_hook(receiver)  # allowed to post to 127.0.0.1 for now
    [delivery_id] = webhooks.emit("need.posted", {"need_id": 1}, lambda u: True)
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False  # the setting turned off meanwhile
    assert webhooks.deliver(delivery_id) == "retry" and receiver.received == []
    assert db.session.get(WebhookDelivery, delivery_id).error == webhooks.REFUSED_TARGET
    client = client_as(app, user.username)
    page = f"/webhooks/{sub.id}/deliveries"
    [row] = _rows(client.get(page).get_data(as_text=True))
    assert row["响应"] == "未发送：该地址不是公网 http(s) 地址（内网、回环或保留网段）"
    client.post("/auth/language/en")
    [row] = _rows(client.get(page).get_data(as_text=True))
    assert row["Answer"] == ("Not sent: the address is not a public http(s) address "
                             "(private, loopback or reserved network)")


def test_a_webhooks_events_are_listed_the_screens_way(app):
    org, client = _enterprise(app)
    _subscription(org)
    db.session.commit()
    [row] = _rows(client.get(WEBHOOKS).get_data(as_text=True))
    assert row["事件"] == "发布新需求、配对进入其他阶段"
    client.post("/auth/language/en")
    [row] = _rows(client.get(WEBHOOKS).get_data(as_text=True))
    assert row["Events"] == "A need is posted, A pair moves to another stage"
