"""No page scrolls sideways on a 390 px phone, for any role (issue 10, point 2).

The pages are every parameter-free GET route of the app (from ``url_map``) plus one detail
page per kind; each role visits those that answer 200 for it, in Chinese and in English (English
labels run longer). Screenshots go to artifacts/screenshots/phone/ and phone-en/ (git-ignored).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import shot
from tests.browser.walk import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SKIP = {"static", "health.healthz", "auth.logout"}
DETAILS = ["/queue/{to_sign}", "/needs/{need}", "/needs/{need}/matches", "/needs/{need}/edit",
           "/patents/{patent}", "/patents/{patent}/matches", "/patents/{patent}/edit",
           "/admin/organizations/{enterprise}/edit", "/admin/users/{broker}/edit",
           "/showcase/patents/{patent}", "/showcase/needs/{need}",
           "/showcase/patents/{patent}/contact", "/jobs/{import_job}", "/jobs/{handed_share}"]
# The outermost elements that stick out on the right, to name in a failure.
CULPRITS = """limit => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > limit)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))"""
ROLES = [None, "e2e-broker", "e2e-enterprise", "e2e-university", "e2e-admin"]


def pages(app, ids: dict) -> list[str]:
    """Parameter-free GET pages, then the detail pages of the seeded records."""
    plain = sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in SKIP
    )
    return plain + [path.format(**ids) for path in DETAILS]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("username", ROLES, ids=lambda u: u or "anonymous")
def test_no_page_scrolls_sideways_at_390px(live_app, base_url, browser, username, locale):
    ids = live_app.extensions["e2e_seed"]
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, base_url, username, locale)
        checked, wide = [], []
        for path in pages(live_app, ids):
            response = page.goto(base_url + path)
            if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            if urlsplit(page.url).path != path:
                continue  # a redirect (to the login page, /admin/ to its users): checked there
            width = page.evaluate("document.documentElement.scrollWidth")
            checked.append(path)
            folder = "phone" if locale == "zh_CN" else "phone-en"
            name = f"{folder}/{username or 'anonymous'}{path.replace('/', '_')}"
            shot(page, name.rstrip("_"))
            if width > PHONE["width"]:
                wide.append((path, width, page.evaluate(CULPRITS, PHONE["width"])))
        print(f"\n{username or 'anonymous'}: {len(checked)} pages checked, {len(wide)} too wide")
        assert checked
        assert wide == [], wide
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/needs/{need}/matches", "/patents/{patent}/matches"])
def test_ranked_lists_become_cards_whose_titles_use_the_width_at_390px(live_app, base_url,
                                                                       browser, path):
    """A ranked list of six columns squeezed titles to a few characters a line and its
    queue button to one; below 800 px each candidate is a card with labelled cells."""
    ids = live_app.extensions["e2e_seed"]
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, base_url, "e2e-broker", "zh_CN")
        page.goto(base_url + path.format(**ids))
        rows = page.locator("table.candidates tbody tr")
        assert rows.count() > 0
        first = rows.first
        assert first.evaluate("e => getComputedStyle(e).display") == "block"
        link = first.locator("td:nth-child(2) a").first
        assert link.evaluate("e => e.closest('td').getBoundingClientRect().width") > 300
        label = first.locator("td[data-label]").first.evaluate(
            "e => getComputedStyle(e, '::before').content")
        assert "得分" in label
        # a label with nothing after it (no shared terms) is left out of the card
        bare = rows.locator("td[data-label]").evaluate_all(
            "cells => cells.filter(c => getComputedStyle(c).display !== 'none'"
            " && !c.textContent.trim()).map(c => c.dataset.label)")
        assert bare == []
    finally:
        context.close()


def test_the_queue_shows_pairs_first_on_a_phone_and_its_filters_one_tap_away(live_app, base_url,
                                                                            browser):
    """QA, stop 35: a broker's phone showed fourteen filter fields and the save-view form before
    the first pair. The panel folds on a phone (open on a desktop)."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, base_url, "e2e-broker", "zh_CN")
        page.goto(base_url + "/queue/?status=all")
        panel = page.locator("details.filter-panel")
        assert panel.evaluate("e => e.open") is False
        first = page.locator("table.candidates tbody tr, table tbody tr").first
        assert first.bounding_box()["y"] < PHONE["height"]  # a pair on the first screen
        shot(page, "phone-queue-first-screen")
        panel.locator("summary").click()
        assert panel.evaluate("e => e.open") is True
        assert page.locator("form.filters select").first.is_visible()
        wide = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        desk = wide.new_page()
        log_in(desk, base_url, "e2e-broker", "zh_CN")
        desk.goto(base_url + "/queue/")
        assert desk.locator("details.filter-panel").evaluate("e => e.open") is True
        wide.close()
    finally:
        context.close()
