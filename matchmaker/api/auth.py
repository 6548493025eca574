"""Bearer-token authentication, scopes and per-call auditing of the API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from sqlalchemy import insert, select

from ..extensions import db
from ..records import ApiToken, AuditLog, User, utcnow
from .problems import ApiProblem

LAST_USED_EVERY = timedelta(minutes=1)  # last-used writes at most once a minute per token
PUBLIC = {"api.openapi", "api.docs"}


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def bearer() -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_key() -> str:
    """Flask-Limiter key: the token (hashed, no database read) or the client address."""
    secret = bearer()
    return "api-token:" + token_hash(secret)[:32] if secret else "api-ip:" + get_remote_address()


def required_scope() -> str:
    view = current_app.view_functions.get(request.endpoint)
    scope = getattr(view, "api_scope", None)
    return scope or ("read" if request.method in ("GET", "HEAD", "OPTIONS") else "write")


def read_only(view):
    """Mark a POST view that changes nothing (search) as needing only the read scope."""
    view.api_scope = "read"
    return view


def authenticate() -> None:
    """``before_request`` of the API: a valid, unexpired token with the needed scope."""
    if request.endpoint in PUBLIC:
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="matchmaker"'}
    secret = bearer()
    if secret is None:
        raise ApiProblem(401, "Send a personal API token: Authorization: Bearer <token>.",
                         headers=challenge)
    found = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(secret))
    ).one_or_none()
    token, user = found if found is not None else (None, None)
    now = utcnow()
    if (token is None or token.revoked_at is not None or user is None or not user.active
            or (token.expires_at is not None and token.expires_at <= now)):
        raise ApiProblem(401, "The token is unknown, revoked or expired.",
                         headers={**challenge, "WWW-Authenticate":
                                  'Bearer realm="matchmaker", error="invalid_token"'})
    g.api_token, g.api_user = token, user
    g.api_ids = (token.id, user.id)  # for the audit row, without reloading expired objects
    scope = required_scope()
    if scope not in token.scope_list:
        raise ApiProblem(403, f"This call needs a token with the “{scope}” scope.",
                         headers={"WWW-Authenticate":
                                  f'Bearer error="insufficient_scope", scope="{scope}"'})
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
        db.session.commit()


def audit_call(response):
    """``after_request``: every authenticated call leaves one audit row."""
    ids = g.get("api_ids")
    if ids is None:
        return response
    token_id, user_id = ids
    try:
        # One INSERT in its own short transaction; views have committed or rolled back already.
        db.session.execute(insert(AuditLog).values(
            at=utcnow(), actor_id=user_id, action="api_call", target=f"token:{token_id}",
            detail={"method": request.method, "path": request.path[:200],
                    "status": response.status_code}))
        db.session.commit()
    except Exception:  # the audit row must not turn a good answer into an error
        db.session.rollback()
        current_app.logger.exception("could not audit an API call")
    return response


def current_user_() -> User:
    return g.api_user
