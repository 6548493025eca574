"""Trust X-Forwarded-* headers from a configured number of reverse proxies (Werkzeug ProxyFix)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app: Flask) -> None:
    """Wrap the WSGI app in ProxyFix when any MATCHMAKER_PROXY_FIX_* count is set."""
    counts = {key: app.config[f"PROXY_FIX_{key.upper()}"]
              for key in ("x_for", "x_proto", "x_host", "x_prefix")}
    if any(counts.values()):
        # Only as many hops as there are proxies: a client cannot forge its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)
