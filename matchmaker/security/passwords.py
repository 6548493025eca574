"""The password policy: one rule for the password form, admin resets, create-user and the demo."""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from ..errors import ValidationError
from ..services.record_checks import _

MIN_LENGTH = 12
MAX_LENGTH = 200
# zxcvbn's 0-4 scale: 3 means "safely unguessable" (~10^10 guesses); its offline dictionaries
# hold the common and breached passwords (rockyou, xato), names and English words.
MIN_SCORE = 3
# zxcvbn's cost grows with the length; the first 100 characters decide the score.
_SCORED_PREFIX = 100


def password_problem(password: str | None, username: str | None = None) -> str | None:
    """Why ``password`` is refused for ``username`` (translated), or None when it is good."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("The password needs at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("At most %(n)d characters.", n=MAX_LENGTH)
    name = (username or "").strip().lower()
    if name and name in password.lower():
        return _("The password must not contain the username.")
    inputs = [name] if name else []
    if zxcvbn(password[:_SCORED_PREFIX], user_inputs=inputs)["score"] < MIN_SCORE:
        return _("This password is common or easy to guess; choose a longer, less usual one.")
    return None


@cache
def _dummy_hash() -> str:
    # Made like every stored hash (same method and cost), once per process.
    return generate_password_hash(secrets.token_hex(16))


def verify(user, password: str) -> bool:
    """Check ``password`` for ``user``; an unknown user (None) costs the same hash and fails."""
    return verify_hash(user.password_hash if user is not None else None, password)


def verify_hash(hashed: str | None, password: str) -> bool:
    """Check ``password`` against a stored hash; None (no such user) costs the same and fails."""
    return check_password_hash(hashed or _dummy_hash(), password or "") and hashed is not None


def check_password(password: str | None, username: str | None = None) -> None:
    """Raise ValidationError (field ``password``) when the policy refuses ``password``."""
    problem = password_problem(password, username)
    if problem:
        raise ValidationError(problem, "password")
