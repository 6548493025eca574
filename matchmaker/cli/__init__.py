"""Flask CLI commands (``flask --app wsgi COMMAND``), one module per concern."""

from __future__ import annotations


def commands() -> list:
    """Every click command the factory registers."""
    from .database import create_user, init_db

    return [init_db, create_user]
