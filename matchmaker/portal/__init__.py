"""Portal blueprints, one package per feature."""

from __future__ import annotations


def blueprints() -> list[tuple]:
    """(blueprint, url_prefix) pairs, in registration order."""
    from .auth.views import bp as auth
    from .health import bp as health
    from .home import bp as home

    return [
        (health, None),
        (home, None),
        (auth, "/auth"),
    ]
