"""The audit log: who did what to which record."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..records import AuditLog, User

# Readable names for every action the code records; an unknown code shows as it is.
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
    "api_call": _l("API call"),
    "api_token_create": _l("API token created"),
    "api_token_revoke": _l("API token revoked"),
    "demo.passwords_reset": _l("Demo passwords reset"),
    "demo.seed": _l("Demo data loaded"),
    "event_create": _l("Release event created"),
    "event_update": _l("Release event changed"),
    "event_list_patent": _l("Patent listed at an event"),
    "event_unlist_patent": _l("Patent removed from an event"),
    "event_delete": _l("Event deleted"),
    "event_on_stage": _l("Patent put on stage"),
    "event_register": _l("Enterprise registered for an event"),
    "event_unregister": _l("Enterprise unregistered from an event"),
    "match_assign": _l("Pair assigned"),
    "match_feedback": _l("Enterprise feedback on a pair"),
    "match_move": _l("Pair moved to another stage"),
    "match_queue": _l("Bulk action in the review queue"),
    "match_undo": _l("Patent- or need-level rejection undone"),
    "need_create": _l("Need created"),
    "need_update": _l("Need changed"),
    "need_delete": _l("Need deleted"),
    "need_status": _l("Need status changed"),
    "patent_listing": _l("Patent listing closed or reopened"),
    "need_routed": _l("Need routed to brokers"),
    "need_import": _l("Needs imported"),
    "needs_export": _l("Needs exported"),
    "patent_create": _l("Patent created"),
    "patent_update": _l("Patent changed"),
    "patent_delete": _l("Patent deleted"),
    "patent_import": _l("Patents imported"),
    "patents_export": _l("Patents exported"),
    "org_create": _l("Organization created"),
    "org_update": _l("Organization changed"),
    "webhook_create": _l("Webhook created"),
    "webhook_delete": _l("Webhook deleted"),
    "webhook_enable": _l("Webhook enabled"),
    "webhook_disable": _l("Webhook disabled"),
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
