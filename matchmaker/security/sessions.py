"""Server-side session checks: versioned ids, idle and absolute timeouts, forced password change."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import db
from ..records import User

AUTH_AT, SEEN_AT = "_auth_at", "_seen_at"
# What a user with a one-time password may still reach.
OPEN_ENDPOINTS = {"auth.password", "auth.logout", "auth.language", "static"}


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: ``id:version`` must match the user's current session version."""
    raw_id, _sep, version = user_id.partition(":")
    try:
        user = db.session.get(User, int(raw_id))
        wanted = int(version)
    except (ValueError, OverflowError):
        return None
    if user is None or not user.active or (user.session_version or 0) != wanted:
        return None
    return user


def start(user: User) -> None:
    """Stamp a fresh login: the absolute lifetime counts from here."""
    now = time.time()
    # A new CSRF token with the new login: forms' tokens live as long as their session
    # (WTF_CSRF_TIME_LIMIT None), so the anonymous login page's token must not outlive it.
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_token", None)
    session[AUTH_AT] = session[SEEN_AT] = now
    session.permanent = True  # the cookie itself expires after the absolute lifetime


def end(user: User) -> None:
    """Log ``user`` out here and everywhere else (the caller commits)."""
    user.end_sessions()
    logout_user()
    session.pop(AUTH_AT, None)
    session.pop(SEEN_AT, None)


def _expired(now: float) -> bool:
    config = current_app.config
    idle = config["SESSION_IDLE_MINUTES"] * 60
    lifetime = config["SESSION_MAX_HOURS"] * 3600
    seen, since = session.get(SEEN_AT), session.get(AUTH_AT)
    if not isinstance(seen, int | float) or not isinstance(since, int | float):
        return True  # a session from before these checks, or a tampered one
    return now - seen > idle or now - since > lifetime


def check_request():
    """Before every request: end expired sessions, and send one-time passwords to be changed."""
    if "_user_id" not in session:
        return None
    now = time.time()
    if _expired(now):
        logout_user()
        session.pop(AUTH_AT, None)
        session.pop(SEEN_AT, None)
        flash(_("Your session has expired. Please log in again."), "warning")
        return None
    session[SEEN_AT] = now
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in OPEN_ENDPOINTS):
        flash(_("Please choose a new password before you continue."), "warning")
        return redirect(url_for("auth.password"))
    # The page's language, chosen now while the user is loaded: chosen by the first message
    # after a form's commit (a note's "saved"), it read the expired user again.
    if request.endpoint != "static":
        get_locale()
    return None


def install(app: Flask) -> None:
    """Session lifetime, the Secure flag outside development, and the per-request checks."""
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        # Unset: on, except in debug and tests, which run over plain http.
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    app.before_request(check_request)
