"""App-wide error pages; a 500 rolls the session back so no half-written change survives."""

from __future__ import annotations

import logging

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
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


def upload_limit_mb() -> str | None:
    """The upload limit (``MAX_CONTENT_LENGTH``, from MATCHMAKER_MAX_UPLOAD_BYTES) in MB, as
    shown to people ("20"); None when there is no limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return f"{round(limit / (1024 * 1024), 1):g}" if limit else None


def too_large_message() -> str:
    """"The file is over the 20 MB limit…" in the reader's language."""
    limit = upload_limit_mb()
    if limit is None:
        return _("The uploaded file is too large.")
    return _("The file is larger than the %(limit)s MB limit; split it into smaller files and "
             "upload them one by one.", limit=limit)


def _over_upload_limit() -> bool:
    """True when the 413 is for the upload limit (a multipart body over MAX_CONTENT_LENGTH, or
    of unknown length); False when Flask refused the form's parts (MAX_FORM_MEMORY_SIZE for one
    text field, MAX_FORM_PARTS), which no file size explains."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    return request.mimetype == "multipart/form-data" and (
        length is None or (limit is not None and length > limit))


def _back_to_form() -> bool:
    """True for a browser's upload to a page that is also a form (the upload pages): the 413
    then sends the user back to that form, where the message is shown, not off to an error
    page. The body is never read, so the form cannot be shown with what was sent."""
    rule = request.url_rule
    return (request.method == "POST" and rule is not None and "GET" in (rule.methods or ())
            and not _wants_json())


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
        # A bookmarked or reloaded POST address (/auth/logout, /queue/bulk) opened in the
        # browser: the portal's page in the reader's language, not Werkzeug's English one.
        response = _page(405)
        if getattr(error, "valid_methods", None):  # RFC 9110: a 405 names what is allowed
            response = current_app.make_response(response)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(413)
    def too_large(error):
        if request.path.startswith("/api/"):  # the API's own words, as in api._check_body
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            return _page(413, f"The request body exceeds {limit} bytes." if limit else None)
        # One sentence in the reader's language; Werkzeug's English description is never shown.
        if not _over_upload_limit():
            return _page(413, _("The form holds too much to be accepted: a text field is too "
                                "long, or there are too many fields. Shorten it and send it "
                                "again."))
        message = too_large_message()
        if _back_to_form():
            flash(message, "danger")
            return redirect(url_for(request.endpoint, **(request.view_args or {})), code=303)
        return _page(413, message)

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
