"""The REST API at ``/api/v1``: typed with pydantic, documented by spectree (OpenAPI 3.1).

Callers authenticate with personal tokens (``Authorization: Bearer``); cookies are never read,
so the blueprint is exempt from CSRF. Every rule of who sees what comes from
``matchmaker.services.access`` and the services the portal uses.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from spectree import SpecTree

from ..extensions import csrf, limiter
from . import auth, problems

bp = Blueprint("api", __name__, url_prefix="/api/v1")

spec = SpecTree(
    "flask",
    mode="strict",  # only the routes decorated here, never the portal's
    path="api/v1/_spectree",  # spectree's own page routes are not registered (offline docs)
    page_templates={},
    title="Matchmaker API",
    version="1.0.0",
    description="Needs, patents, matches, search, events, notifications, imports, webhooks.",
    before=problems.on_validation_error,
    validation_error_status=422,
    naming_strategy=lambda model: model.__name__,
    security_schemes=[{"name": "bearer", "data": {"type": "http", "scheme": "bearer"}}],
    security={"bearer": []},
)


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _check_body() -> None:
    """Refuse oversized, non-JSON or malformed bodies before any view reads them.

    Imports take the file itself as the body, up to the upload limit.
    """
    limit = current_app.config["API_MAX_JSON_BYTES"]
    is_import = request.endpoint == "api.create_import"
    if is_import:
        limit = current_app.config["MAX_CONTENT_LENGTH"] or limit
    if request.content_length is not None and request.content_length > limit:
        raise problems.ApiProblem(413, f"The request body exceeds {limit} bytes.")
    if is_import or request.method not in ("POST", "PATCH", "PUT") or not request.content_length:
        return
    if not request.is_json:
        raise problems.ApiProblem(415, "Send the body as application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # arrays nested a thousand deep: the parser's stack gives out
        body = None
    if body is None:
        raise problems.ApiProblem(400, "The body is not valid JSON.", kind="malformed-json")


def _rate_headers(response):
    """IETF RateLimit / RateLimit-Policy headers for the per-token limit."""
    current = limiter.current_limit
    if current is not None:
        item = current.limit
        window = item.get_expiry()
        reset = max(0, int(current.reset_at - _now()))
        response.headers["RateLimit-Policy"] = f'"token";q={item.amount};w={window}'
        response.headers["RateLimit"] = f'"token";r={current.remaining};t={reset}'
    return response


def _now() -> float:
    import time

    return time.time()


def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


def register(app) -> None:
    """Bind the API to ``app`` (called from ``create_app``)."""
    if not getattr(bp, "_matchmaker_loaded", False):
        from . import (  # noqa: F401  (each module adds its routes to ``bp``)
            docs,
            events,
            imports,
            matches,
            needs,
            notifications,
            patents,
            search,
            tokens,
            webhooks,
        )

        bp.before_request(_check_body)
        bp.before_request(auth.authenticate)
        bp.after_request(auth.audit_call)
        bp.after_request(_rate_headers)
        bp.after_request(_no_store)
        problems.install(bp)
        limiter.limit(_api_limit, key_func=auth.rate_key)(bp)
        bp._matchmaker_loaded = True
    app.register_blueprint(bp)
    csrf.exempt(bp)


def user():
    """The user whose token authenticated this request."""
    return g.api_user
