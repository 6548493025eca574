"""Security headers on every response, and no caching of pages that carry personal data."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_login import current_user

# No 'unsafe-inline': templates hold no inline script, <style> or style= attribute, and the
# SVG charts use presentation attributes (fill=, width=), which CSP does not block.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def add_headers(response: Response) -> Response:
    """After every request: CSP, anti-framing, nosniff, referrer and feature policies."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS)
    hsts = current_app.config["HSTS_SECONDS"]
    if hsts and request.is_secure:  # browsers ignore HSTS over http; never pin a test host
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if request.endpoint != "static" and not current_user.is_anonymous:
        # Pages and exports of a logged-in user carry contact details: never keep a copy.
        # (``is_authenticated`` reads the user's ``active`` column: after a form's commit
        # that is one more statement on every post.)
        headers["Cache-Control"] = "no-store"
    elif response.mimetype == "text/html":
        # Anonymous pages speak the browser's language when the session names none
        # (i18n.select_locale): a shared cache must keep one copy per language.
        response.vary.add("Accept-Language")
    return response


def install(app: Flask) -> None:
    app.after_request(add_headers)
