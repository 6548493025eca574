"""Patents, their IPC codes and the licensing modes they are offered under."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, enum_type
from .enums import LegalStatus, LicenceMode, PatentType
from .organizations import Organization

# Field length limits shared by the ORM, the importers and the forms.
PATENT_LIMITS = {
    "publication_number": 20,
    "application_number": 30,
    "title": 300,
    "abstract": 5000,
    "claims": 60000,
    "applicants": 500,
    "inventors": 500,
    "technical_field": 100,
    "contact_note": 500,
    "family_id": 40,
}


class Patent(TimestampMixin, db.Model):
    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_number: Mapped[str] = mapped_column(String(20), unique=True)
    application_number: Mapped[str | None] = mapped_column(String(30))
    patent_type: Mapped[PatentType] = mapped_column(
        enum_type(PatentType, "patent_type"), default=PatentType.INVENTION
    )
    title: Mapped[str] = mapped_column(String(300))
    abstract: Mapped[str] = mapped_column(Text)
    claims: Mapped[str | None] = mapped_column(Text)
    applicants: Mapped[str | None] = mapped_column(String(500))
    inventors: Mapped[str | None] = mapped_column(String(500))
    legal_status: Mapped[LegalStatus] = mapped_column(
        enum_type(LegalStatus, "legal_status"), default=LegalStatus.VALID, index=True
    )
    filing_date: Mapped[date | None] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    # Next annual-fee deadline: missing it lapses the patent (used by the revival view).
    fee_due_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    technical_field: Mapped[str | None] = mapped_column(String(100))
    asking_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    dormant: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    contact_note: Mapped[str | None] = mapped_column(String(500))
    # Patent family or priority number: patents sharing it take one slot in a ranked list.
    family_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # When the owner closed the listing (no longer offered): the patent leaves matching, the
    # showcase and the queue, like a lapsed one; None while it is offered.
    listing_closed_at: Mapped[datetime | None] = mapped_column(DateTime())

    @property
    def listed(self) -> bool:
        """True while the owner offers the patent (its listing is not closed)."""
        return self.listing_closed_at is None

    owner: Mapped[Organization | None] = relationship()
    ipc_links: Mapped[list[PatentIPC]] = relationship(
        back_populates="patent",
        cascade="all, delete-orphan",
        order_by="PatentIPC.position",
    )
    licence_links: Mapped[list[PatentLicence]] = relationship(
        back_populates="patent", cascade="all, delete-orphan"
    )

    @property
    def ipc_codes(self) -> list[str]:
        return [link.code for link in self.ipc_links]

    @ipc_codes.setter
    def ipc_codes(self, codes: list[str]) -> None:
        # Reuse the link of a code that stays, so the (patent_id, code) unique constraint is
        # never hit by an insert-before-delete flush.
        existing = {link.code: link for link in self.ipc_links}
        links = []
        for i, code in enumerate(dict.fromkeys(codes)):
            link = existing.get(code) or PatentIPC(code=code, section=code[:1])
            link.position = i
            links.append(link)
        self.ipc_links = links

    @property
    def licensing_modes(self) -> list[LicenceMode]:
        return [link.mode for link in self.licence_links]

    @licensing_modes.setter
    def licensing_modes(self, modes: list[LicenceMode]) -> None:
        existing = {link.mode: link for link in self.licence_links}
        self.licence_links = [existing.get(m) or PatentLicence(mode=m) for m in dict.fromkeys(modes)]

    @property
    def open_licence(self) -> bool:
        return LicenceMode.OPEN in self.licensing_modes

    @property
    def is_enforceable(self) -> bool:
        return self.legal_status in (LegalStatus.VALID, LegalStatus.PENDING)

    def __repr__(self) -> str:
        return f"<Patent {self.publication_number}>"


class PatentIPC(db.Model):
    __tablename__ = "patent_ipc"
    __table_args__ = (UniqueConstraint("patent_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20), index=True)  # normalised, e.g. "H01F 1/057"
    section: Mapped[str] = mapped_column(String(1), index=True)  # "H"
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 = main classification

    patent: Mapped[Patent] = relationship(back_populates="ipc_links")


class PatentLicence(db.Model):
    __tablename__ = "patent_licences"
    __table_args__ = (UniqueConstraint("patent_id", "mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    mode: Mapped[LicenceMode] = mapped_column(enum_type(LicenceMode, "licence_mode"))

    patent: Mapped[Patent] = relationship(back_populates="licence_links")
