"""Needs and patents as the API reads and writes them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ... import validators
from ...records import (
    Confidentiality,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    NeedStatus,
    PatentType,
)
from .common import OrgRef, PageQuery, PlainText, Strict, UtcDateTime

#: What the service does with what is sent (record_checks), said where clients read the schema.
AMOUNT = "10,000 yuan (`万元`); rounded to 0.01"
DATE = f"year {validators.MIN_YEAR}-{validators.MAX_YEAR}"


def amount():
    """An amount field in 万元: NaN and infinities are refused as no number ("Input should be a
    finite number"), not as out of range (NaN compares false with every bound)."""
    return Field(None, ge=0, le=float(validators.MAX_AMOUNT), allow_inf_nan=False,
                 description=AMOUNT)


class NeedOut(BaseModel):
    id: int
    external_ref: str | None
    title: str
    description: str
    technical_field: str | None
    keywords: list[str]
    budget_min: float | None = Field(description="10,000 yuan (`万元`)")
    budget_max: float | None = Field(description="10,000 yuan (`万元`)")
    cooperation_mode: CooperationMode
    deadline: date | None
    region_league: str | None
    region_county: str | None
    status: NeedStatus
    confidentiality: Confidentiality
    enterprise: OrgRef | None = Field(
        description="null when the need is for brokers only and you are neither of its "
        "enterprise, a broker nor an administrator (external_ref and region_county too)")
    broker_id: int | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class NeedList(BaseModel):
    items: list[NeedOut]
    next_cursor: str | None


class NeedQuery(PageQuery):
    status: NeedStatus | None = None
    region: str | None = Field(None, max_length=40, description="league or city (`盟市`)")
    field: str | None = Field(None, max_length=100, description="technical field contains")
    q: str | None = Field(None, max_length=100, description="title contains")


class NeedIn(Strict):
    title: PlainText = Field(min_length=1, max_length=200)
    description: PlainText = Field(min_length=1, max_length=5000)
    external_ref: PlainText | None = Field(None, max_length=40)
    technical_field: PlainText | None = Field(None, max_length=100)
    keywords: list[PlainText] = Field(default_factory=list, max_length=20)
    budget_min: float | None = amount()
    budget_max: float | None = amount()
    cooperation_mode: CooperationMode = CooperationMode.LICENCE
    deadline: date | None = Field(None, description=DATE)
    region_league: PlainText | None = Field(None, max_length=40)
    region_county: PlainText | None = Field(None, max_length=40)
    confidentiality: Confidentiality = Confidentiality.PUBLIC
    enterprise_id: int | None = Field(None, ge=1, le=2**63 - 1, description="admins only")
    broker_id: int | None = Field(None, ge=1, le=2**63 - 1, description="admins only")


class NeedPatch(Strict):
    title: PlainText | None = Field(None, min_length=1, max_length=200)
    description: PlainText | None = Field(None, min_length=1, max_length=5000)
    external_ref: PlainText | None = Field(None, max_length=40)
    technical_field: PlainText | None = Field(None, max_length=100)
    keywords: list[PlainText] | None = Field(None, max_length=20)
    budget_min: float | None = amount()
    budget_max: float | None = amount()
    cooperation_mode: CooperationMode | None = None
    deadline: date | None = Field(None, description=DATE)
    region_league: PlainText | None = Field(None, max_length=40)
    region_county: PlainText | None = Field(None, max_length=40)
    confidentiality: Confidentiality | None = None


class NeedStatusIn(Strict):
    status: Literal["open", "closed"] = "closed"


class PatentStatusIn(Strict):
    status: Literal["listed", "closed"] = "closed"


class PatentOut(BaseModel):
    id: int
    publication_number: str
    application_number: str | None
    patent_type: PatentType
    title: str
    abstract: str
    applicants: str | None
    inventors: str | None
    legal_status: LegalStatus
    filing_date: date | None
    grant_date: date | None
    fee_due_date: date | None
    ipc_codes: list[str]
    licensing_modes: list[LicenceMode]
    technical_field: str | None
    asking_price: float | None = Field(description="10,000 yuan (`万元`)")
    dormant: bool
    listing: Literal["listed", "closed"] = Field(
        description="closed: the owner no longer offers the patent; it is not matched")
    owner: OrgRef | None
    contact_note: str | None = Field(description="admins and brokers only; null otherwise")
    created_at: UtcDateTime
    updated_at: UtcDateTime


class PatentList(BaseModel):
    items: list[PatentOut]
    next_cursor: str | None


class PatentQuery(PageQuery):
    legal_status: LegalStatus | None = None
    dormant: bool | None = None
    ipc_section: str | None = Field(None, pattern="^[A-Ha-h]$")
    q: str | None = Field(None, max_length=100, description="title contains")


class PatentIn(Strict):
    publication_number: PlainText = Field(min_length=1, max_length=20)
    title: PlainText = Field(min_length=1, max_length=300)
    abstract: PlainText = Field(min_length=1, max_length=5000)
    application_number: PlainText | None = Field(None, max_length=30)
    patent_type: PatentType = PatentType.INVENTION
    claims: PlainText | None = Field(None, max_length=60000)
    applicants: PlainText | None = Field(None, max_length=500)
    inventors: PlainText | None = Field(None, max_length=500)
    legal_status: LegalStatus = LegalStatus.VALID
    filing_date: date | None = Field(None, description=DATE)
    grant_date: date | None = Field(None, description=DATE)
    fee_due_date: date | None = Field(None, description=DATE)
    ipc_codes: list[PlainText] = Field(default_factory=list, max_length=30)
    licensing_modes: list[LicenceMode] = Field(default_factory=list, max_length=4)
    technical_field: PlainText | None = Field(None, max_length=100)
    asking_price: float | None = amount()
    dormant: bool = True
    contact_note: PlainText | None = Field(None, max_length=500)
    owner_id: int | None = Field(None, ge=1, le=2**63 - 1, description="admins only")


class PatentPatch(Strict):
    publication_number: PlainText | None = Field(None, min_length=1, max_length=20)
    title: PlainText | None = Field(None, min_length=1, max_length=300)
    abstract: PlainText | None = Field(None, min_length=1, max_length=5000)
    application_number: PlainText | None = Field(None, max_length=30)
    patent_type: PatentType | None = None
    claims: PlainText | None = Field(None, max_length=60000)
    applicants: PlainText | None = Field(None, max_length=500)
    inventors: PlainText | None = Field(None, max_length=500)
    legal_status: LegalStatus | None = None
    filing_date: date | None = Field(None, description=DATE)
    grant_date: date | None = Field(None, description=DATE)
    fee_due_date: date | None = Field(None, description=DATE)
    ipc_codes: list[PlainText] | None = Field(None, max_length=30)
    licensing_modes: list[LicenceMode] | None = Field(None, max_length=4)
    technical_field: PlainText | None = Field(None, max_length=100)
    asking_price: float | None = amount()
    # Left out: unchanged; true or false: set; null is refused (a patent is dormant or not).
    dormant: bool = None
    contact_note: PlainText | None = Field(None, max_length=500)
