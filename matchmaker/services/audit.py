"""The audit log: who did what to which record."""

from __future__ import annotations

from ..extensions import db
from ..records import AuditLog, User


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
