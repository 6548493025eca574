"""Flask-Login wiring and the ``roles_required`` guard."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...records import Role
from ...security.sessions import load_user


def configure_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"

    # Checks the session version too: logout, a new password or deactivation end old cookies.
    login_manager.user_loader(load_user)


def roles_required(*roles: Role):
    """Allow the view only to logged-in users with one of ``roles`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
