"""Personal API tokens: created and revoked by their user or an admin, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..records import ApiToken, Role, User, utcnow
from .audit import record
from .record_checks import _

SCOPES = ("read", "write")
PREFIX = "mmk_"  # makes a leaked token easy to recognise (secret scanners, logs)
#: How long after its creation a new secret may still be shown (the page after the form).
REVEAL_SECONDS = 300


def _may_manage(actor: User, owner: User) -> None:
    if actor.id != owner.id and actor.role is not Role.ADMIN:
        raise PermissionDenied(_("You may not manage this user's tokens."))


def create_token(owner: User, name: str, scopes: list[str], *, actor: User,
                 days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns it with the secret, which is never shown again."""
    _may_manage(actor, owner)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(_("Give the token a name of at most 80 characters."), "name")
    chosen = [s for s in SCOPES if s in scopes]
    if not chosen:
        raise ValidationError(_("Choose at least one scope."), "scopes")
    if "write" in chosen and "read" not in chosen:
        chosen.insert(0, "read")  # writing without reading back is never useful
    days = current_app.config["API_TOKEN_DAYS"] if days is None else days
    if days < 0 or days > 3660:
        raise ValidationError(_("Choose a lifetime between 1 and 3660 days."), "days")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id, name=name, prefix=secret[:12],
        token_hash=hashlib.sha256(secret.encode()).hexdigest(), scopes=",".join(chosen),
        created_by_id=actor.id, expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    record("api_token_create", actor, f"user:{owner.id}", token=token.id, scopes=token.scopes)
    db.session.commit()
    return token, secret


def seal_for_reveal(token: ApiToken, secret: str) -> str:
    """Split ``secret`` for the one page that shows it: a random pad stays in the token's row,
    the secret XOR the pad is returned for the creator's session; commits.

    Flask's session is a signed cookie, readable by whoever holds a copy of it (a proxy's log,
    a saved request): the half it carries is random noise without the pad, and the pad is
    deleted when the secret is shown, so an old copy of the cookie reveals nothing.
    """
    data = secret.encode()
    pad = secrets.token_bytes(len(data))
    token.reveal_pad = pad.hex()
    db.session.commit()
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).hex()


def reveal_once(owner: User, token_id: int, sealed: str) -> str | None:
    """The secret of ``owner``'s token sealed by :func:`seal_for_reveal`, once: the pad is
    taken in one statement (a second tab or a replayed cookie gets None), and only within
    :data:`REVEAL_SECONDS` of the token's creation."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != owner.id or token.reveal_pad is None:
        return None
    pad = token.reveal_pad
    taken = db.session.execute(update(ApiToken).where(
        ApiToken.id == token.id, ApiToken.reveal_pad == pad).values(reveal_pad=None)).rowcount
    db.session.commit()
    if taken != 1 or token.created_at < utcnow() - timedelta(seconds=REVEAL_SECONDS):
        return None
    try:
        data = bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), bytes.fromhex(pad),
                                           strict=True))
    except ValueError:  # not hex, or not this pad's length: not this token's seal
        return None
    if hashlib.sha256(data).hexdigest() != token.token_hash:
        return None
    return data.decode("ascii")


def forget_unshown(owner: User) -> None:
    """Drop the pads of ``owner``'s secrets that were never shown in time (the page was left
    before the redirect ended); commits when there were any."""
    cutoff = utcnow() - timedelta(seconds=REVEAL_SECONDS)
    if db.session.execute(update(ApiToken).where(
            ApiToken.user_id == owner.id, ApiToken.reveal_pad.is_not(None),
            ApiToken.created_at < cutoff).values(reveal_pad=None)).rowcount:
        db.session.commit()


def revoke_token(token: ApiToken, *, actor: User) -> None:
    """Revoke a token at once; later calls with it get 401."""
    _may_manage(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token_revoke", actor, f"user:{token.user_id}", token=token.id)
        db.session.commit()


def tokens_of(owner: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())))
