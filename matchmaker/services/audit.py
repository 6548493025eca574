"""The audit log: who did what to which record."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..records import AuditLog, User

# Readable names for the account actions; other actions show their code.
ACTION_LABELS = {
    "login": _l("Login"),
    "login_failed": _l("Failed login"),
    "login_locked": _l("Login locked"),
    "logout": _l("Logout"),
    "password_change": _l("Password changed"),
    "user_password_reset": _l("Password reset by an administrator"),
    "user_invite": _l("Account created"),
    "user_update": _l("Account changed"),
    "user_deactivate": _l("Account deactivated"),
    "user_reactivate": _l("Account reactivated"),
}


def action_label(action: str) -> str:
    """The translated name of an audit action, or its code."""
    return str(ACTION_LABELS.get(action, action))


def record(action: str, actor: User | None = None, target: str | None = None, **detail) -> AuditLog:
    """Add an audit row to the current session (the caller commits with its own change)."""
    entry = AuditLog(
        action=action,
        actor_id=getattr(actor, "id", None),
        target=target,
        detail=detail or None,
    )
    db.session.add(entry)
    return entry
