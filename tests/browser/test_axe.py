"""Accessibility (issue 10, point 8): axe-core finds no serious or critical violation on any
page of any role.

axe-core comes from the npm package that ``script/setup --dev`` installs under
artifacts/node (pinned, offline); the test is skipped without it. The script is injected
by Playwright, which the strict CSP would block: this test's contexts bypass the CSP.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from matchmaker.extensions import db
from tests.browser.conftest import ROOT
from tests.browser.seed import PASSWORD
from tests.browser.test_phone_widths import pages
from tests.browser.walk import ROLES, enrich, log_in, snap

pytestmark = pytest.mark.browser

AXE = ROOT / "artifacts" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => [v.id, v.impact, v.nodes.length,
    v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
}"""


@pytest.fixture(scope="module")
def axe_script(live_app):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (script/setup --dev)")
    with live_app.app_context():
        enrich()  # a notification (the nav badge), history and audit rows to check too
        db.session.remove()
    return str(AXE)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("username", ROLES, ids=lambda u: u or "anonymous")
def test_no_serious_axe_violation(live_app, base_url, browser, axe_script, username, locale):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  bypass_csp=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        log_in(page, base_url, username, locale)
        checked, severe, minor = [], {}, 0
        for path in pages(live_app, live_app.extensions["e2e_seed"]):
            response = page.goto(base_url + path)
            if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            if urlsplit(page.url).path != path:
                continue  # a redirect: checked at its target
            checked.append(path)
            page.add_script_tag(path=axe_script)
            found = page.evaluate(RUN_AXE)
            minor += sum(1 for v in found if v[1] not in SEVERE)
            bad = [v for v in found if v[1] in SEVERE]
            if bad:
                severe[path] = bad
                snap(page, f"axe/{locale}/{username or 'anonymous'}{path.replace('/', '_')}".rstrip("_"))
        nodes = sum(v[2] for bad in severe.values() for v in bad)
        print(f"\naxe {locale} {username or 'anonymous'}: {len(checked)} pages, "
              f"{len(checked) - len(severe)} without serious/critical violations, {nodes} serious/critical "
              f"nodes, {minor} minor/moderate rules")
        for path, bad in severe.items():
            print(" ", path, bad)
        assert checked
        assert severe == {}
    finally:
        context.close()


def test_focus_moves_to_the_first_invalid_field(base_url, new_page):
    """A form that comes back with errors puts the keyboard focus on its first invalid field."""
    page = new_page()
    log_in(page, base_url, "e2e-university", "zh_CN")
    page.goto(f"{base_url}/auth/password")
    page.fill("#current", PASSWORD)
    page.fill("#new", "a-long-new-password-1")
    page.fill("#confirm", "a-different-password-2")
    page.click("#submit")
    page.wait_for_load_state()
    assert page.get_attribute("#confirm", "aria-invalid") == "true"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'confirm'")
    assert "两次输入的新密码不一致" in page.inner_text("main")  # our message, not WTForms' "new"
