"""App-wide error pages; a 500 rolls the session back so no half-written change survives."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from ..errors import MatchmakerError
from ..extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _page(status: int, message: str | None = None):
    if request.path.startswith("/api/"):  # the API answers problem+json (RFC 9457)
        from ..api.problems import problem_response

        return problem_response(status, message)
    if _wants_json():
        return jsonify({"error": status, "message": message}), status
    return render_template("errors/error.html", status=status, message=message), status


def install(app) -> None:
    @app.errorhandler(403)
    def forbidden(error):
        return _page(403)

    @app.errorhandler(404)
    def not_found(error):
        return _page(404)

    @app.errorhandler(429)
    def too_many(error):
        return _page(429)

    @app.errorhandler(405)
    def not_allowed(error):
        if request.path.startswith("/api/"):
            return _page(405)
        return error

    @app.errorhandler(413)
    def too_large(error):
        return _page(413, error.description)

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        # Flask-WTF's own descriptions ("The CSRF token is missing.") are English only.
        return _page(400, _("The form was not sent from this site or has expired; reload the "
                            "page and send it again."))

    @app.errorhandler(MatchmakerError)
    def domain_error(error):
        db.session.rollback()
        return _page(error.http_status, str(error))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        log.exception("unhandled error on %s", request.path)
        return _page(500)
