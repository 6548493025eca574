"""The public showcase in a real browser at 390 px and 1366 px (issue 10, point 7): a visitor
searches, opens a patent, asks to be put in touch, and a broker finds the request.

Screenshots: artifacts/screenshots/showcase/ (git-ignored).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.seed import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.mark.parametrize("device", list(WIDTHS))
def test_visitor_finds_a_patent_and_leaves_a_contact_request(live_app, base_url, browser,
                                                           device):
    viewport = WIDTHS[device]
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        assert page.locator("h1").first.inner_text() == "成果展示"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        shot(page, f"showcase/{device}-index")
        page.fill("#sc-q", "风电 回收")  # two words, both must appear
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_load_state()
        items = page.locator(".showcase-item h2")
        assert items.count() == 1 and "风电叶片" in items.first.inner_text()
        shot(page, f"showcase/{device}-search")
        page.locator(".showcase-item a.button.primary").first.click()  # 我要对接
        page.wait_for_load_state()
        assert "/contact" in page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.fill("#name", f"访客{device}")
        page.fill("#organization", "鄂尔多斯某能源公司")
        page.fill("#phone", "13812345678")
        page.fill("#message", "希望了解许可条件。")
        shot(page, f"showcase/{device}-contact")
        page.locator("#submit").click()
        page.wait_for_load_state()
        assert "/showcase/patents/" in page.url
        assert "两个工作日内" in page.locator(".flash").inner_text()
        shot(page, f"showcase/{device}-sent")
        # The needs tab never shows the enterprise's name.
        page.goto(base_url + "/?kind=needs")
        assert "烧结钕铁硼磁体降本需求" in page.content()
        assert "包头稀土磁材有限公司" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        shot(page, f"showcase/{device}-needs")
        # A broker finds the request in the list.
        page.goto(base_url + "/auth/login")
        page.fill("#username", "e2e-broker")
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_load_state()
        page.goto(base_url + "/showcase/requests")
        assert f"访客{device}" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        shot(page, f"showcase/{device}-requests")
    finally:
        context.close()
