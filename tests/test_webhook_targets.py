"""Webhooks post to public addresses only: checked when saved and before every delivery (SSRF)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy import func, select

from matchmaker.errors import ValidationError
from matchmaker.extensions import db
from matchmaker.records import OrgKind, Role, WebhookDelivery, WebhookSubscription
from matchmaker.services import webhook_targets, webhooks
from tests import factories as f

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.10", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.251", "239.1.1.1", "240.0.0.1", "255.255.255.255", "::1", "::",
    "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2001:db8::1",
])
def test_non_public_addresses_are_blocked(address):
    assert webhook_targets.blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert not webhook_targets.blocked(ipaddress.ip_address(address))


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: name -> address, changeable during the test."""
    table: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kw):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)
    return table


def _owner():
    org = f.org(OrgKind.ENTERPRISE)
    return org, f.user(Role.ENTERPRISE, org)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost.internal/hook", "https://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook", "http://[::ffff:7f00:1]/",
    "http://0x7f000001/hook",
])
def test_saving_a_private_target_is_refused_and_stores_nothing(app, dns, url):
    dns["localhost.internal"] = "127.0.0.1"
    dns["0x7f000001"] = "127.0.0.1"  # what a resolver makes of a numeric host name
    org, user = _owner()
    with pytest.raises(ValidationError, match="private") as refused:
        webhooks.create_subscription(org, url, ["need.posted"], actor=user)
    assert refused.value.field == "url"
    db.session.rollback()
    assert db.session.scalar(select(func.count(WebhookSubscription.id))) == 0


def test_non_http_schemes_are_still_refused(app, dns):
    org, user = _owner()
    for bad in ("file:///etc/passwd", "gopher://x.example/", "ftp://x.example/", "http://"):
        with pytest.raises(ValidationError, match="http"):
            webhooks.create_subscription(org, bad, ["need.posted"], actor=user)


def test_a_public_name_and_an_unresolvable_one_are_saved(app, dns):
    dns["hooks.example.com"] = PUBLIC
    org, user = _owner()
    assert webhooks.create_subscription(org, "https://hooks.example.com/h", ["need.posted"],
                                        actor=user).url == "https://hooks.example.com/h"
    # DNS down or the receiver not set up yet: the delivery-time check decides later.
    assert webhooks.create_subscription(org, "https://not-yet.example.com/h", ["need.posted"],
                                        actor=user).id


def test_the_on_premise_setting_allows_private_targets(app, dns):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    org, user = _owner()
    sub = webhooks.create_subscription(org, "http://10.0.0.5/hook", ["need.posted"], actor=user)
    assert sub.url == "http://10.0.0.5/hook"


def test_a_name_pointed_at_a_private_address_after_saving_is_not_posted_to(app, dns,
                                                                           monkeypatch):
    from matchmaker.jobs import webhooks as task

    monkeypatch.setattr(task, "enqueue", lambda ids: None)
    posted = []
    monkeypatch.setattr(webhooks, "_post",
                        lambda target, *a: posted.append((target.url, str(target.address))) or 204)
    dns["hooks.example.com"] = PUBLIC
    org, user = _owner()
    webhooks.create_subscription(org, "http://hooks.example.com/h", ["need.posted"], actor=user)
    dns["hooks.example.com"] = "169.254.169.254"  # DNS rebinding to the metadata service
    [delivery_id] = webhooks.emit("need.posted", {"need_id": 1}, lambda u: True)
    assert webhooks.deliver(delivery_id) == "retry"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert posted == [] and delivery.error.startswith("refused:")
    assert delivery.response_code is None
    dns["hooks.example.com"] = PUBLIC  # pointed back: the next attempt goes out
    delivery.next_attempt_at = None
    db.session.commit()
    assert webhooks.deliver(delivery_id) == "delivered"
    assert posted == [("http://hooks.example.com/h", PUBLIC)]


def test_the_portal_form_refuses_a_private_target_with_a_message(app):
    from tests.pairs import client_as

    org = f.org(OrgKind.ENTERPRISE)
    f.user(Role.ENTERPRISE, org, username="ent")
    db.session.commit()
    page = client_as(app, "ent").post("/webhooks/", data={
        "organization": org.id, "url": "http://169.254.169.254/latest/meta-data/",
        "events": ["need.posted"]})
    assert page.status_code == 200
    assert "Webhook 只能发往公网地址" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WebhookSubscription.id))) == 0
