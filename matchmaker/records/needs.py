"""Enterprises' technical needs (技术需求)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, enum_type
from .enums import Confidentiality, CooperationMode, NeedStatus
from .organizations import Organization, User

NEED_LIMITS = {
    "external_ref": 40,
    "title": 200,
    "description": 5000,
    "technical_field": 100,
    "keywords": 20,  # number of keywords
    "keyword": 30,  # characters per keyword
}


class Need(TimestampMixin, db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The poster's own reference (e.g. 蒙科聚 need number); re-imports update by it.
    external_ref: Mapped[str | None] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    technical_field: Mapped[str | None] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    budget_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    cooperation_mode: Mapped[CooperationMode] = mapped_column(
        enum_type(CooperationMode, "cooperation_mode"), default=CooperationMode.LICENCE
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    region_league: Mapped[str | None] = mapped_column(String(40))
    region_county: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[NeedStatus] = mapped_column(
        enum_type(NeedStatus, "need_status"), default=NeedStatus.OPEN, index=True
    )
    confidentiality: Mapped[Confidentiality] = mapped_column(
        enum_type(Confidentiality, "confidentiality"), default=Confidentiality.PUBLIC
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    enterprise: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.title}>"
