"""Results-release events (成果发布会), their listed patents and registered enterprises."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, enum_type, utcnow
from .enums import EventStatus
from .organizations import Organization, User
from .patents import Patent


class ReleaseEvent(TimestampMixin, db.Model):
    __tablename__ = "release_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. 蒙科聚-2026-07
    name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    venue: Mapped[str | None] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(Text)
    target_industries: Mapped[str | None] = mapped_column(String(300))
    target_regions: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[EventStatus] = mapped_column(
        enum_type(EventStatus, "event_status"), default=EventStatus.PLANNED
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    listings: Mapped[list[EventPatent]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPatent.position"
    )
    registrations: Mapped[list[EventRegistration]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class EventPatent(db.Model):
    __tablename__ = "event_patents"
    __table_args__ = (UniqueConstraint("event_id", "patent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("release_events.id", ondelete="CASCADE"), index=True
    )
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"))
    on_stage: Mapped[bool] = mapped_column(Boolean, default=False)  # 路演
    position: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text)  # plain-language summary for the booklet

    event: Mapped[ReleaseEvent] = relationship(back_populates="listings")
    patent: Mapped[Patent] = relationship()


class EventRegistration(db.Model):
    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("release_events.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)

    event: Mapped[ReleaseEvent] = relationship(back_populates="registrations")
    organization: Mapped[Organization] = relationship()
    registered_by: Mapped[User | None] = relationship()


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # the words as the recipient read them when the notice was written (the e-mail's text)
    message: Mapped[str] = mapped_column(Text)
    # the same words as msgid and parameters (``reasons.Reason.to_json``): the notices page
    # renders them in its own language; None for notices written before (shown as ``message``)
    reason: Mapped[dict | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime())
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()
