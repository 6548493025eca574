"""Adding a webhook in the browser (QA pass 2): the signing secret is shown once, and a reload
or a second click adds no second subscription. A module of its own: its live app fires no
event, so the subscription's public address is never posted to."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.records import WebhookSubscription
from tests.browser.conftest import shot
from tests.browser.test_portal_flows import log_in

pytestmark = pytest.mark.browser

HOOK = "https://93.184.215.14/matchmaker-hook"  # a public address literal: no DNS lookup


def _subscriptions(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count(WebhookSubscription.id)))
        finally:
            db.session.remove()


def test_a_webhook_is_added_once_and_its_secret_shown_once(live_app, base_url, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, base_url, "e2e-enterprise")
        page.goto(f"{base_url}/webhooks/")
        page.fill("#url", HOOK)
        page.locator('input[name="events"]').first.check()
        page.click("#submit")
        page.wait_for_load_state()
        assert page.url.endswith("/webhooks/")  # answered with a redirect: a GET page
        assert page.locator("code.secret").count() == 1
        shot(page, "webhook-added-390")
        page.reload()  # no form is sent again, and the secret is gone
        assert page.locator("code.secret").count() == 0
        assert _subscriptions(live_app) == 1
        page.fill("#url", HOOK)  # the same address and events again: refused by the field
        page.locator('input[name="events"]').first.check()
        page.click("#submit")
        page.wait_for_load_state()
        assert "该机构已有一个启用中的 Webhook" in page.locator("#url-err").inner_text()
        assert page.input_value("#url") == HOOK  # what was typed stays
        assert _subscriptions(live_app) == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
    finally:
        context.close()
