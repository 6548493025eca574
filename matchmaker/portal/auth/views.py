"""Login, logout, password change and language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from ...extensions import db
from ...records import User, utcnow
from ...security import passwords, sessions, throttle
from ...security.params import safe_next
from ...services.audit import record
from .forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        wait = throttle.locked_minutes(username)
        if wait is not None:
            flash(_("Too many failed logins. Try again in %(n)d minutes.", n=wait), "danger")
            return render_template("auth/login.html", form=form), 429
        user, good = _checked_user(username, form.password.data)
        if not good or not user.active:
            _failed(user, username)
            flash(_("Wrong username or password, or the account is deactivated."), "danger")
            return render_template("auth/login.html", form=form), 401
        throttle.clear_account(username)
        login_user(user)
        sessions.start(user)
        user.last_login_at = utcnow()
        record("login", actor=user, target=f"user:{user.id}")
        db.session.commit()
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


def _checked_user(username: str, password: str) -> tuple[User | None, bool]:
    """The user named ``username`` (loaded afresh) and whether ``password`` is theirs.

    The password hash costs tens of milliseconds of CPU. On SQLite a request's first read
    takes the write lock (``BEGIN IMMEDIATE``, see ``extensions``), so the transaction this
    read opens ends before the hash is checked: sixty brokers logging in at once queue for
    milliseconds each, not for a hash each, and none runs past the busy timeout.
    """
    opened = not db.session().in_transaction()
    row = db.session.execute(
        select(User.id, User.password_hash).where(User.username == username)).first()
    if opened:
        db.session.rollback()  # nothing else was read or written in it
    good = passwords.verify_hash(row.password_hash if row else None, password)
    if row is None:
        return None, False
    # Reloaded in the write transaction: a deactivation or a new password meanwhile counts.
    user = db.session.get(User, row.id)
    return user, good and user is not None and user.password_hash == row.password_hash


def _failed(user: User | None, username: str) -> None:
    """Count and audit a failed login; audit the lock it may cause."""
    target = f"user:{user.id}" if user is not None else None
    record("login_failed", actor=None, target=target, username=username[:80])
    if throttle.record_failure(username):
        record("login_locked", actor=None, target=target, username=username[:80],
               address=request.remote_addr)
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    record("logout", actor=user, target=f"user:{user.id}")
    sessions.end(user)  # every session of this user, not only this browser's
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            user.set_password(form.new.data)
            user.must_change_password = False
            user.end_sessions()  # a copied cookie dies with the old password
            record("password_change", actor=user, target=f"user:{user.id}")
            db.session.commit()
            login_user(user)  # this browser continues under the new session version
            flash(_("Password changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))
