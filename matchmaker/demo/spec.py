"""The shapes of the demo content: small frozen records the content modules fill in.

The content modules hold only what a person wrote (titles, abstracts, claims, needs); dates
that follow from them (grant date, next annual-fee date, application number) are derived in
``seed.py`` so the data stays consistent with itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrgSpec:
    """One organization; ``key`` is how patents, needs and users refer to it."""

    key: str
    kind: str  # OrgKind value
    name: str
    league: str  # 盟市
    county: str  # 旗县区
    fields: str
    contact: str  # contact person (invented)
    phone: str  # invented number
    address: str
    credit: bool = True  # give it a unified social credit code


@dataclass(frozen=True)
class UserSpec:
    username: str
    role: str  # Role value
    display_name: str
    org: str | None = None  # OrgSpec.key
    broker_fields: str | None = None
    broker_regions: str | None = None


@dataclass(frozen=True)
class PatentSpec:
    """One patent. ``status`` None means: pending for kind code A, valid otherwise."""

    number: str  # publication number, e.g. CN119001001B
    owner: str  # OrgSpec.key
    filed: str  # ISO date
    ipc: str  # "; "-separated IPC codes, main classification first
    title: str
    abstract: str
    claims: str
    field: str
    price: float | None = None  # asking price, 万元
    modes: str = "transfer,ordinary"  # LicenceMode values
    status: str | None = None  # LegalStatus value
    dormant: bool = True
    co: str | None = None  # co-applicant OrgSpec.key


@dataclass(frozen=True)
class NeedSpec:
    """One enterprise need; ``budget`` is (min, max) in 万元."""

    enterprise: str  # OrgSpec.key
    title: str
    description: str
    field: str
    keywords: str  # comma-separated
    budget: tuple[float, float] | None
    mode: str  # CooperationMode value
    deadline: str  # ISO date
    status: str = "open"
    brokers_only: bool = False
    broker: str | None = None  # UserSpec.username


def P(number: str, owner: str, filed: str, ipc: str, **kw) -> PatentSpec:
    """Short constructor used by the content modules."""
    return PatentSpec(number, owner, filed, ipc, **kw)


def N(enterprise: str, title: str, description: str, **kw) -> NeedSpec:
    """Short constructor used by the content modules."""
    return NeedSpec(enterprise, title, description, **kw)
