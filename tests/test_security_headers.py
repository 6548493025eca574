"""Security headers on every response; no inline script or style anywhere (issue 14, point 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.pairs import cast, client_as

ROOT = Path(__file__).resolve().parent.parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _assert_common(response):
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # only when configured for TLS


def test_every_kind_of_response_carries_the_headers(app):
    people = cast()
    anonymous = client_as(app, None)
    for response in (anonymous.get("/auth/login"), anonymous.get("/no/such/page"),
                     anonymous.get("/static/css/app.css"), anonymous.get("/queue/")):
        _assert_common(response)
    broker = client_as(app, "broker1")
    for path in ("/queue/", f"/queue/{people['match'].id}", "/needs/export.csv", "/dashboard/"):
        response = broker.get(path)
        assert response.status_code == 200, path
        _assert_common(response)
        assert "no-store" in response.headers["Cache-Control"], path


def test_public_pages_and_static_files_may_be_cached(app):
    anonymous = client_as(app, None)
    assert "no-store" not in anonymous.get("/static/css/app.css").headers.get("Cache-Control", "")
    assert "no-store" not in anonymous.get("/auth/login").headers.get("Cache-Control", "")


def test_hsts_only_when_configured_and_over_https(app):
    app.config["HSTS_SECONDS"] = 31536000
    client = client_as(app, None)
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("path", sorted((ROOT / "templates").rglob("*.html")),
                         ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_have_nothing_the_csp_would_block(path):
    text = path.read_text(encoding="utf-8")
    found = [label for pattern, label in INLINE if pattern.search(text)]
    assert found == []


def test_charts_use_no_style_attributes(app):
    from matchmaker.portal.charts import bar_chart, funnel_chart, line_chart

    svgs = [bar_chart([("a", 3), ("b", 1)], "t"), line_chart([("1", 1), ("2", 2)], "t"),
            funnel_chart([("a", 3), ("b", 1)], "t")]
    for svg in svgs:
        assert "<svg" in str(svg) and "style=" not in str(svg)
