"""Column headings of a long list stay in view while the page scrolls (desktop), in Chromium.

A sticky element sticks to its nearest scroll container. The list tables sat in a horizontal
scroll box (``.table-box``, and ``table.data`` itself), which never scrolls vertically, so their
headings left the screen with the page at 1280 px. On a phone the same lists stay stacked cards
and a wide figure table still scrolls inside its own box, never the page.

Screenshots of the scrolled window go to artifacts/screenshots/sticky/.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.records import MatchStatus, Organization, OrgKind
from tests import factories as f
from tests.browser.conftest import SHOTS
from tests.browser.walk import log_in
from tests.pairs import pair

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LISTS = ["/queue/", "/needs/", "/patents/"]
ROWS = 50  # on one page of 50: each list is about twice the window's height

#: The first column heading: its box, and whether the element drawn at its centre is the
#: heading itself (not a row scrolled over it, nor a bar covering it).
FIRST_HEADING = """() => {
  const th = document.querySelector('main table.data thead th');
  const r = th.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {top: r.top, bottom: r.bottom, on_top: !!hit && th.contains(hit)};
}"""


@pytest.fixture(scope="module")
def long_lists(live_app):
    """ROWS needs, patents and candidate pairs between them, on top of the basic seed."""
    with live_app.app_context():
        enterprise = db.session.scalar(
            select(Organization).where(Organization.kind == OrgKind.ENTERPRISE))
        for i in range(ROWS):
            need = f.need(f"长列表需求 {i + 1:02d}", enterprise=enterprise, region_league="包头市",
                          technical_field="新材料")
            patent = f.patent(f"一种长列表测试专利 {i + 1:02d}", number=f"CN1198000{i:02d}A",
                              technical_field="新材料")
            pair(need=need, patent=patent, score=0.9 - i / 100, status=MatchStatus.CANDIDATE)
        db.session.commit()
        db.session.remove()
    live_app.config["PAGE_SIZE"] = ROWS


def _page(browser, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.parametrize("path", LISTS)
def test_column_headings_stay_in_view_when_a_long_list_scrolls_at_1280px(
        live_app, base_url, browser, long_lists, path):
    context, page = _page(browser, DESKTOP)
    try:
        log_in(page, base_url, "e2e-broker", "zh_CN")
        assert page.goto(base_url + path).status == 200
        table = page.locator("main table.data").first.bounding_box()
        assert table["height"] > 1.5 * DESKTOP["height"], table  # a list longer than the window
        # well past the table's top, still inside it
        page.evaluate(f"window.scrollTo(0, {table['y'] + 400})")
        page.wait_for_timeout(100)
        assert page.evaluate("window.scrollY") > table["y"] + 300
        heading = page.evaluate(FIRST_HEADING)
        (SHOTS / "sticky").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "sticky" / f"1280{path.replace('/', '_')}.png"))
        assert 0 <= heading["top"] < 100, heading
        assert heading["on_top"], heading
    finally:
        context.close()


@pytest.mark.parametrize("path", LISTS)
def test_the_lists_stay_cards_and_never_scroll_the_page_sideways_at_390px(
        live_app, base_url, browser, long_lists, path):
    context, page = _page(browser, PHONE)
    try:
        log_in(page, base_url, "e2e-broker", "zh_CN")
        assert page.goto(base_url + path).status == 200
        page.evaluate("window.scrollTo(0, 600)")
        (SHOTS / "sticky").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "sticky" / f"390{path.replace('/', '_')}.png"))
        assert page.evaluate("document.documentElement.scrollWidth"
                             " <= document.documentElement.clientWidth + 1")
        row = page.locator("main table.data.cards tbody tr").first
        assert row.evaluate("e => getComputedStyle(e).display") == "block"
        assert page.locator("main table.data.cards thead th:not(.select-col)").first.is_hidden()
    finally:
        context.close()


def test_a_wide_figure_table_still_scrolls_in_its_own_box_at_390px(live_app, base_url, browser,
                                                                     long_lists):
    context, page = _page(browser, PHONE)
    try:
        log_in(page, base_url, "e2e-broker", "zh_CN")
        assert page.goto(base_url + "/dashboard/").status == 200
        box = page.locator("main .table-box:has(> table.data.wide)").first
        assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth"
                             " <= document.documentElement.clientWidth + 1")
    finally:
        context.close()
