"""Contact requests (我要对接) left by visitors of the public showcase for the brokers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_type, utcnow
from .enums import ContactStatus
from .needs import Need
from .organizations import User
from .patents import Patent

# Field lengths shared by the ORM and the showcase's form.
CONTACT_LIMITS = {"name": 80, "organization": 200, "phone": 40, "email": 200, "message": 2000}


class ContactRequest(db.Model):
    """One visitor's wish to talk about one patent or one need; brokers follow it up."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int | None] = mapped_column(
        ForeignKey("patents.id", ondelete="SET NULL"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"),
                                                index=True)
    name: Mapped[str] = mapped_column(String(80))
    organization: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[ContactStatus] = mapped_column(
        enum_type(ContactStatus, "contact_status"), default=ContactStatus.NEW, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime())

    patent: Mapped[Patent | None] = relationship()
    need: Mapped[Need | None] = relationship()
    handled_by: Mapped[User | None] = relationship()

    @property
    def subject_title(self) -> str:
        record = self.patent or self.need
        return record.title if record is not None else ""
