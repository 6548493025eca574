"""Security controls: passwords, login throttling, sessions, headers, files, safe parameters."""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    """Wire every control into ``app``; runs before the blueprints register their routes."""
    from . import encoding, files, headers, params, proxy, sessions

    files.install(app)
    encoding.install(app)
    params.install(app)
    proxy.install(app)
    sessions.install(app)
    headers.install(app)
