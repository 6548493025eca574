"""Helpers for the API tests: tokens for the cast of users, and a bearer-authenticated client."""

from __future__ import annotations

from matchmaker.services import api_tokens
from tests.pairs import cast

ROLES = ("admin", "broker", "other_broker", "enterprise", "university")


def token_for(user, scopes=("read", "write"), days=None) -> str:
    _token, secret = api_tokens.create_token(user, "test", list(scopes), actor=user, days=days)
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def cast_with_tokens() -> dict:
    """``pairs.cast()`` plus ``tokens[role]`` (read and write) for every user in it, with the
    indexes built from the database (requests never build them)."""
    from matchmaker.services.matching import rebuild_indexes

    people = cast()
    rebuild_indexes()
    people["tokens"] = {role: token_for(people[role]) for role in ROLES}
    return people
