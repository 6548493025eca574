"""Personal API tokens: created and revoked by their user or an admin, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..records import ApiToken, Role, User, utcnow
from .audit import record
from .record_checks import _

SCOPES = ("read", "write")
PREFIX = "mmk_"  # makes a leaked token easy to recognise (secret scanners, logs)


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
