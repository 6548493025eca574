"""Helpers shared by the API's resources: cursors, ETags, record lookups, idempotency."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..records import IdempotencyKey, utcnow
from .problems import ApiProblem

MAX_ID = 2**63 - 1
IDEMPOTENCY_TTL = timedelta(hours=24)


def get_or_404(model, record_id: int, what: str):
    """The row, or a 404 problem (also for ids beyond the database's integer range)."""
    row = db.session.get(model, record_id) if 0 < record_id <= MAX_ID else None
    if row is None:
        raise ApiProblem(404, f"No such {what}.")
    return row


def encode_cursor(values: dict) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, keys: tuple[str, ...]) -> dict | None:
    """The values of an opaque cursor; a 400 problem when it was not made by us."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, dict) or set(values) != set(keys):
            raise ValueError(cursor)
        return values
    except (ValueError, TypeError) as exc:
        raise ApiProblem(400, "The cursor is not valid; start again without it.",
                         errors=[{"field": "cursor", "message": "invalid cursor"}]) from exc


def limit_of(value: int | None) -> int:
    return min(value or current_app.config["PAGE_SIZE"], current_app.config["API_PAGE_LIMIT"])


def etag_of(*parts) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]
    return f'"{digest}"'


def check_if_match(current: str) -> None:
    """412 when ``If-Match`` names another version (optional header: absent means no check)."""
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    tags = [t.strip() for t in wanted.split(",")]
    if "*" in tags or current in tags or current.removeprefix("W/") in tags:
        return
    raise ApiProblem(412, "The resource changed since you read it; read it again.",
                     headers={"ETag": current}, kind="precondition")


def with_etag(payload: BaseModel, tag: str, status: int = 200, headers: dict | None = None):
    """A JSON answer carrying an ETag; 304 when ``If-None-Match`` already has it."""
    if request.method == "GET" and tag in [t.strip() for t in
                                           request.headers.get("If-None-Match", "").split(",")]:
        return current_app.response_class(status=304, headers={"ETag": tag})
    response = current_app.response_class(payload.model_dump_json(), status=status,
                                          mimetype="application/json")
    response.headers["ETag"] = tag
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_response(payload: BaseModel, status: int = 200, headers: dict | None = None):
    response = current_app.response_class(payload.model_dump_json(), status=status,
                                          mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def idempotent(view):
    """``Idempotency-Key`` on POST: the first answer is stored per token and replayed.

    The same key with another body (or path) is refused with 422; a repeat while the first
    call still runs gets 409. Answers of 5xx are not stored, so the client may retry them.
    Keys live for 24 hours.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        if len(key) > 100:
            raise ApiProblem(400, "Idempotency-Key is at most 100 characters.",
                             errors=[{"field": "Idempotency-Key", "message": "too long"}])
        token = g.api_token
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data()
        ).hexdigest()
        stored = db.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.token_id == token.id, IdempotencyKey.key == key,
            IdempotencyKey.created_at >= utcnow() - IDEMPOTENCY_TTL))
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ApiProblem(422, "This Idempotency-Key was used with another request.",
                                 kind="idempotency-key-reused")
            if stored.status is None:
                raise ApiProblem(409, "A request with this Idempotency-Key is still running.",
                                 kind="idempotency-key-in-use")
            response = current_app.response_class(stored.body, status=stored.status)
            for name, value in (stored.headers or {}).items():
                response.headers[name] = value
            response.headers["Idempotent-Replayed"] = "true"
            return response
        # Keys are kept for a day: purge this token's older ones as a new one is claimed.
        # ("fetch": the purged rows also leave the session, so a new key that reuses a purged
        # row's id on SQLite does not collide with a stale object in the identity map)
        db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.token_id == token.id,
            IdempotencyKey.created_at < utcnow() - IDEMPOTENCY_TTL),
            execution_options={"synchronize_session": "fetch"})
        claim = IdempotencyKey(token_id=token.id, key=key, fingerprint=fingerprint)
        db.session.add(claim)
        try:
            db.session.commit()
        except IntegrityError as exc:  # a concurrent first call took the key a moment ago
            db.session.rollback()
            raise ApiProblem(409, "A request with this Idempotency-Key is still running.",
                             kind="idempotency-key-in-use") from exc
        claim_id = claim.id
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception as exc:
            db.session.rollback()
            _settle(claim_id, exc)
            raise
        _store(claim_id, response)
        return response

    return wrapped


def _store(claim_id: int, response) -> None:
    claim = db.session.get(IdempotencyKey, claim_id)
    if response.status_code >= 500:
        db.session.delete(claim)
    else:
        claim.status = response.status_code
        claim.body = response.get_data(as_text=True)
        keep = ("Content-Type", "Location", "ETag")
        claim.headers = {k: v for k, v in response.headers.items() if k in keep}
    db.session.commit()


def _settle(claim_id: int, exc: Exception) -> None:
    """Store the problem a refused first call got, so a repeat gets the same answer."""
    from .problems import ApiProblem as Problem

    claim = db.session.get(IdempotencyKey, claim_id)
    if isinstance(exc, Problem) and exc.status < 500:
        claim.status = exc.status
        claim.body = json.dumps({"type": "about:blank", "status": exc.status,
                                 "title": "Refused", "detail": exc.detail or ""})
        claim.headers = {"Content-Type": "application/problem+json"}
    else:  # unexpected or domain errors: let the client retry with the same key
        db.session.delete(claim)
    db.session.commit()
