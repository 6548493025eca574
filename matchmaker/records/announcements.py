"""What was announced once and must not be announced again (a new need's alert, a new patent's
webhook): a retried job re-sends the signal of a record its killed attempt already announced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Announcement(db.Model):
    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("event", "subject", name="uq_announcements_event_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))  # e.g. alert:need_posted, webhook:patent.listed
    subject: Mapped[str] = mapped_column(String(60))  # e.g. need:12
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
