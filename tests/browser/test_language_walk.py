"""One language at a time (issue 10, point 3): every page of every role, in Chinese and in
English, shows no interface text in the other script.

User data is left out (see ``walk``): the demo's records are Chinese and stay so on English
screens. Screenshots go to artifacts/screenshots/language/ (git-ignored).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from matchmaker.extensions import db
from tests.browser.test_phone_widths import pages
from tests.browser.walk import ROLES, TEXTS_JS, enrich, foreign_runs, log_in, snap, user_corpus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def corpus(live_app):
    with live_app.app_context():
        enrich()
        text = user_corpus()
        db.session.remove()
    return text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("username", ROLES, ids=lambda u: u or "anonymous")
def test_every_page_speaks_one_language(live_app, base_url, browser, corpus, username, locale):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        log_in(page, base_url, username, locale)
        checked, mixed = [], {}
        for path in pages(live_app, live_app.extensions["e2e_seed"]):
            response = page.goto(base_url + path)
            if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            if urlsplit(page.url).path != path:
                continue  # a redirect: checked at its target
            checked.append(path)
            snap(page, f"language/{locale}/{username or 'anonymous'}{path.replace('/', '_')}".rstrip("_"))
            found = foreign_runs(page.evaluate(TEXTS_JS), locale, corpus)
            if found:
                mixed[path] = found
        print(f"\n{locale} {username or 'anonymous'}: {len(checked)} pages, {len(mixed)} with "
              f"text in the other script")
        for path, found in mixed.items():
            print(" ", path, found[:6])
        assert checked
        assert mixed == {}
    finally:
        context.close()
