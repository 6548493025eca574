"""Errors as ``application/problem+json`` (RFC 9457), for every answer of the API."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from ..errors import MatchmakerError, ValidationError
from ..extensions import db

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TYPE_BASE = "https://matchmaker.example/problems/"  # a stable name, not a page to fetch


class ApiProblem(Exception):
    """Raised anywhere in an API request; answered as one problem document."""

    def __init__(self, status: int, detail: str | None = None, *, errors: list | None = None,
                 headers: dict | None = None, kind: str | None = None):
        super().__init__(detail or "")
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.kind = kind


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(status: int, detail: str | None = None, *, errors: list | None = None,
                     headers: dict | None = None, kind: str | None = None):
    """A Flask response carrying one problem document."""
    body = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail or _title(status),
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(exc) -> list[dict]:
    """Pydantic errors as ``{"field", "message"}`` (never echoing the input back)."""
    out = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        out.append({"field": ".".join(loc) or None, "message": error.get("msg", "invalid")})
    return out


def on_validation_error(req, resp, req_validation_error, instance, *args) -> None:
    """Spectree's ``before`` hook: a refused request body or query becomes a 422 problem."""
    if req_validation_error is not None:
        raise ApiProblem(422, "The request does not validate.",
                         errors=field_errors(req_validation_error), kind="validation")


def install(bp) -> None:
    """Error handlers of the API blueprint (errors raised while serving an API route)."""

    @bp.errorhandler(ApiProblem)
    def api_problem(exc: ApiProblem):
        db.session.rollback()
        return problem_response(exc.status, exc.detail, errors=exc.errors, headers=exc.headers,
                                kind=exc.kind)

    @bp.errorhandler(ValidationError)
    def invalid(exc: ValidationError):
        db.session.rollback()
        errors = [{"field": exc.field, "message": str(exc)}]
        return problem_response(422, str(exc), errors=errors, kind="validation")

    @bp.errorhandler(MatchmakerError)
    def domain(exc: MatchmakerError):
        db.session.rollback()
        return problem_response(exc.http_status, str(exc))

    @bp.errorhandler(HTTPException)
    def http(exc: HTTPException):
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 429:
            headers["Retry-After"] = str(getattr(exc, "retry_after", None) or 60)
        return problem_response(exc.code or 500, exc.description, headers=headers)

    @bp.errorhandler(Exception)
    def crash(exc: Exception):
        db.session.rollback()
        log.exception("API error on %s", request.path)
        return problem_response(500)
