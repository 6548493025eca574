"""Saved queue views: a broker's named filter sets for the review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

VIEW_NAME_LIMIT = 60
VIEW_QUERY_LIMIT = 1000


class SavedView(db.Model):
    """One named queue query string (``status=candidate&region=包头市``) of one user."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(VIEW_NAME_LIMIT))
    query: Mapped[str] = mapped_column(String(VIEW_QUERY_LIMIT), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
