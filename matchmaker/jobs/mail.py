"""The mail job: e-mail notifications, retried with backoff while the SMTP server is away."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..records import Notification
from ..services.notify import email_notifications
from .registry import JobContext, job


class MailPending(OSError):
    """Some messages could not be sent yet (retryable, like any OSError)."""


@job("mail")
def mail(params: dict, ctx: JobContext) -> dict:
    """Send the notifications not mailed yet; a retry never mails one twice (``emailed``)."""
    ids = [int(i) for i in params.get("notification_ids", [])]
    notes = list(db.session.scalars(select(Notification).where(Notification.id.in_(ids))))
    sent = email_notifications(current_app.config, notes)
    db.session.commit()  # keep the ``emailed`` marks even if the rest must wait for a retry
    pending = [n.id for n in notes if not n.emailed and n.user is not None and n.user.email]
    if pending and current_app.config.get("MAIL_ENABLED"):
        raise MailPending(f"{len(pending)} of {len(notes)} messages not sent: {pending[:20]}")
    return {"sent": sent, "notifications": len(notes)}
