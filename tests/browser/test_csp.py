"""The strict Content-Security-Policy breaks nothing: no violation on any main page of any role."""

from __future__ import annotations

import pytest

from tests.browser.seed import PASSWORD

pytestmark = pytest.mark.browser

# Registered before any page script runs (by the driver, not the page, so CSP does not apply).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile
                    + ':' + e.lineNumber);
});
"""

PAGES = {
    None: ["/auth/login"],
    "e2e-broker": ["/queue/", "/queue/{to_sign}", "/pipeline/", "/pipeline/table", "/dashboard/",
                   "/needs/", "/patents/", "/events/", "/revival/", "/notifications/",
                   "/auth/password"],
    "e2e-enterprise": ["/needs/", "/needs/new", "/recommendations/", "/patents/", "/events/"],
    "e2e-admin": ["/admin/users", "/admin/users/new", "/admin/organizations", "/admin/audit",
                  "/dashboard/", "/events/new"],
}


@pytest.mark.parametrize("username", list(PAGES), ids=lambda u: u or "anonymous")
def test_no_csp_violation_on_the_main_pages(live_app, base_url, new_page, username):
    ids = live_app.extensions["e2e_seed"]
    page = new_page()
    page.add_init_script(LISTEN)
    console = []
    page.on("console", lambda message: console.append(message.text))
    if username:
        page.goto(f"{base_url}/auth/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_load_state()
        assert "/auth/login" not in page.url
    for path in PAGES[username]:
        response = page.goto(base_url + path.format(**ids))
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        violations = page.evaluate("window.__csp")
        assert violations == [], (path, violations)
    assert not [m for m in console if "Content Security Policy" in m], console
