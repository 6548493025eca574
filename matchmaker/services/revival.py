"""Dormant-patent revival (存量专利盘活): which sleeping patents to transfer first, and why.

Revivability is a sum of four visible factors (100 points in all): current demand from open
needs, remaining patent term, legal status and an open licence (开放许可). Lapsed or expired
patents, and patents past their term, are not revivable and score zero. Separately from the
score, a patent is flagged when its annual fee falls due (it lapses if unpaid) or its term
ends within ``WARNING_DAYS``: those should be offered first, before the chance is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, select, true, type_coerce
from sqlalchemy.orm import selectinload

from .. import validators
from ..errors import PermissionDenied
from ..extensions import db
from ..records import (
    LegalStatus,
    LicenceMode,
    Patent,
    PatentLicence,
    PatentType,
    Role,
    User,
    utcnow,
)
from . import revival_ranking, worker_cache
from .event_suggestions import demand_by_patent, likelihood
from .record_checks import local_today

TERM_YEARS = {PatentType.INVENTION: 20, PatentType.UTILITY: 10, PatentType.DESIGN: 15}
WARNING_DAYS = 180
#: Maximum points per factor; they add up to 100.
WEIGHTS = {"demand": 40, "term": 25, "status": 20, "open_licence": 15}
LABELS = {
    "demand": _l("Demand from open needs"),
    "term": _l("Remaining term"),
    "status": _l("Legal status"),
    "open_licence": _l("Open licence"),
}
# Demand saturates at this many open needs; strength is the best match score (0..1).
DEMAND_NEEDS_FULL = 10
_STATUS_SHARE = {LegalStatus.VALID: 1.0, LegalStatus.PENDING: 0.5}
_READ_BATCH = 500  # rows read by id in one statement
#: What scoring reads of a patent (``DormantFacts`` without the open licence).
_FACTS = (Patent.id, Patent.legal_status, Patent.patent_type, Patent.filing_date,
          Patent.fee_due_date)


@dataclass
class Factor:
    key: str
    share: float  # 0..1 of the factor's maximum
    points: float  # contribution to the total
    maximum: int
    detail: dict = field(default_factory=dict)  # the raw facts behind the share

    @property
    def label(self) -> str:
        return str(LABELS[self.key])


@dataclass(frozen=True)
class DormantFacts:
    """What scoring reads of a dormant patent: a few columns, not the whole record (ranking
    loads every dormant patent of the scope; the page shows one page of them)."""

    id: int
    legal_status: LegalStatus
    patent_type: PatentType
    filing_date: date | None
    fee_due_date: date | None
    open_licence: bool


@dataclass
class RevivalRow:
    facts: DormantFacts
    factors: list[Factor]
    total: float
    revivable: bool
    term_end: date | None
    days_to_term_end: int | None
    days_to_fee_due: int | None
    open_needs: int
    best_score: float

    _patent: Patent | None = field(default=None, repr=False)

    @property
    def patent(self) -> Patent:
        """The whole record (``attach_patents`` loads a page of them in one query)."""
        if self._patent is None:
            self._patent = db.session.get(Patent, self.facts.id)
        return self._patent

    @property
    def lapse_soon(self) -> bool:
        """The annual fee is due within the warning window (unpaid, the patent lapses)."""
        return (
            self.revivable
            and self.days_to_fee_due is not None
            and 0 <= self.days_to_fee_due <= WARNING_DAYS
        )

    @property
    def fee_overdue(self) -> bool:
        """The fee date passed and the patent still stands: it is in the grace period."""
        return self.revivable and self.days_to_fee_due is not None and self.days_to_fee_due < 0

    @property
    def expire_soon(self) -> bool:
        """The statutory term ends within the warning window."""
        return (
            self.revivable
            and self.days_to_term_end is not None
            and 0 <= self.days_to_term_end <= WARNING_DAYS
        )

    @property
    def urgent(self) -> bool:
        return self.lapse_soon or self.fee_overdue or self.expire_soon


def term_end(patent: Patent | DormantFacts) -> date | None:
    """The end of the statutory term counted from the filing date (None when unknown).

    A filing date outside the years every form, the API and the import accept
    (``validators.MIN_YEAR``..``MAX_YEAR``) can only be a typo stored before they checked it:
    it counts as unknown, like a missing date, so the patent gets the neutral term share.
    Computed, 9990 + 20 years is past ``date.max`` and would break the page for everyone,
    and 0001 would call a patent expired on no real evidence.
    """
    if patent.filing_date is None or not validators.plausible_date(patent.filing_date):
        return None
    years = TERM_YEARS.get(PatentType(patent.patent_type), 20)
    start = patent.filing_date
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a non-leap year
        return start.replace(year=start.year + years, day=28)


def assess(patent: DormantFacts, demand: tuple[int, float, float, int | None],
           today: date) -> RevivalRow:
    """Score one patent with its factors; ``demand`` is (open needs, best score, score sum,
    best calibrated). ``revival_ranking.rank`` computes the same totals for a whole scope."""
    open_needs, best, _total, calibrated = demand
    status = LegalStatus(patent.legal_status)
    end = term_end(patent)
    days_left = (end - today).days if end else None
    revivable = status in _STATUS_SHARE and (days_left is None or days_left > 0)

    strength = likelihood(calibrated, best)  # the best pair, as P(a broker would recommend it)
    demand_share = 0.5 * min(open_needs, DEMAND_NEEDS_FULL) / DEMAND_NEEDS_FULL + 0.5 * strength
    term_years = TERM_YEARS.get(PatentType(patent.patent_type), 20)
    if days_left is None:
        term_share = 0.5  # unknown filing date: neither rewarded nor punished
    else:
        term_share = min(1.0, max(0.0, days_left / (term_years * 365.25)))
    shares = {
        "demand": (demand_share, {"open_needs": open_needs, "best_score": round(best, 3),
                                  "calibrated": calibrated}),
        "term": (
            term_share,
            {
                "years_left": None if days_left is None else round(days_left / 365.25, 1),
                "term_years": term_years,
            },
        ),
        "status": (_STATUS_SHARE.get(status, 0.0), {"status": status}),
        "open_licence": (1.0 if patent.open_licence else 0.0, {"offered": patent.open_licence}),
    }
    factors = [
        Factor(key, round(share, 3), round(WEIGHTS[key] * share, 1), WEIGHTS[key], detail)
        for key, (share, detail) in shares.items()
    ]
    total = round(sum(f.points for f in factors), 1) if revivable else 0.0
    fee_days = (patent.fee_due_date - today).days if patent.fee_due_date else None
    return RevivalRow(
        patent, factors, total, revivable, end, days_left, fee_days, open_needs, round(best, 3)
    )


class Ranking(Sequence):
    """The ranked dormant patents of a scope. Every patent is scored to rank it (in numpy:
    ``revival_ranking``), but a row with its factors (``RevivalRow``) is built only when read:
    a page shows 20 of up to 100,000, read again by id in one query. Demand and open licences
    come from the scored columns, so a row's factors are those it was ranked by."""

    def __init__(self, ids: list[int], scored: Scored, n_urgent: int, today: date, scope=()):
        self._ids, self._cols, self._scope = ids, scored.cols, scope
        self._rows: dict[int, RevivalRow] = {}
        self.urgent = n_urgent  #: how many of them lapse or expire soon (``RevivalRow.urgent``)
        self.ranked_at = scored.ranked_at  #: when the scores were computed (UTC)
        self._today = today

    def __len__(self) -> int:
        return len(self._ids)

    def _demand(self, at: int) -> tuple[bool, tuple[int, float, float, int | None]]:
        """(open licence, demand as ``assess`` reads it) of the patent at ``at``."""
        cols = self._cols
        calibrated = cols.calibrated[at]
        return (bool(cols.open_licence[at]),
                (int(cols.open_needs[at]), float(cols.best[at]), 0.0,
                 None if np.isnan(calibrated) else int(calibrated)))

    def _build(self, ids: list[int]) -> list[RevivalRow]:
        missing = [pid for pid in ids if pid not in self._rows]
        for start in range(0, len(missing), _READ_BATCH):
            # the scope again: scores may be a minute old (``rank_dormant``'s ``max_age``), a
            # patent revived or handed to another owner meanwhile is not shown
            stmt = select(*_FACTS).where(Patent.id.in_(missing[start:start + _READ_BATCH]),
                                         *self._scope)
            for row in db.session.execute(stmt):
                at = int(np.searchsorted(self._cols.ids, row[0]))
                open_licence, wanted = self._demand(at)
                self._rows[row[0]] = assess(DormantFacts(*row, open_licence), wanted, self._today)
        return [self._rows[pid] for pid in ids if pid in self._rows]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._build(self._ids[index])
        return self._build([self._ids[index]])[0]

    def __iter__(self):
        for start in range(0, len(self._ids), _READ_BATCH):
            yield from self._build(self._ids[start:start + _READ_BATCH])


@dataclass(frozen=True)
class Scored:
    """Every dormant patent of a scope, scored on one day (what the cache keeps)."""

    cols: revival_ranking.Columns  # ids ascending
    ranked: revival_ranking.Ranked
    ranked_at: datetime


def dormant_filter(user: User):
    """Which dormant patents ``user`` may rank: universities their own, brokers/admins all."""
    if user.role in (Role.ADMIN, Role.BROKER):
        return true()
    if user.role is Role.UNIVERSITY and user.organization_id is not None:
        return Patent.owner_id == user.organization_id
    raise PermissionDenied(_("Only universities, brokers and administrators see dormant patents."))


def rank_dormant(
    user: User,
    today: date | None = None,
    *,
    include_unrevivable: bool = False,
    urgent_only: bool = False,
    max_age: float = 0,
) -> Ranking:
    """Dormant patents visible to ``user``, most revivable first (urgent ones flagged).

    ``max_age``: reuse this process's scores of the same scope and day when they are at most
    that many seconds old (the portal passes ``REVIVAL_CACHE_SECONDS``): scoring 100k dormant
    patents takes 1.3-1.7 s, mostly the demand of 200k pairs, and a broker turning the
    list's pages, or switching its filters, would pay it on every click.
    """
    today = today or local_today()
    scored = _scored(user, today, max_age)
    ranked = scored.ranked
    keep = np.ones(len(scored.cols.ids), dtype=bool) if include_unrevivable else ranked.revivable
    if urgent_only:
        keep = keep & ranked.urgent
    picked = ranked.order[keep[ranked.order]]
    return Ranking(scored.cols.ids[picked].tolist(), scored, int(ranked.urgent[picked].sum()),
                   today, _dormant_scope(user))


def _scope_key(user: User) -> str:
    """Users who rank the same dormant patents (``dormant_filter``) share scores."""
    return "all" if user.role in (Role.ADMIN, Role.BROKER) else f"org:{user.organization_id}"


def _dormant_scope(user: User) -> tuple:
    return (Patent.dormant.is_(True), dormant_filter(user))  # refuses other roles


def _scored(user: User, today: date, max_age: float) -> Scored:
    scope = _dormant_scope(user)
    return worker_cache.kept("matchmaker.revival", (_scope_key(user), today), max_age,
                             lambda: _score(scope, today))


def _score(scope, today: date) -> Scored:
    # Every dormant patent of the scope is scored from a few columns (whole records, with
    # their licence modes one query per patent, took 2.1 s for 5,000); the page loads its own.
    demand = demand_by_patent(*scope)
    open_ids = set(db.session.scalars(
        select(PatentLicence.patent_id).join(Patent, Patent.id == PatentLicence.patent_id)
        .where(PatentLicence.mode == LicenceMode.OPEN, *scope)))
    # The columns as stored (enum values, SQLite's ISO dates): converting 100k of them into
    # enums and dates in SQLAlchemy took longer than ranking them; the page's rows are read
    # again, typed, by ``Ranking``. Ids ascending: ``Ranking`` finds a patent by bisection.
    raw = select(*(type_coerce(column, String) if column is not Patent.id else column
                   for column in _FACTS)).where(*scope).order_by(Patent.id)
    cols = revival_ranking.columns(db.session.connection().execute(raw).all(), demand, open_ids,
                                   _STATUS_SHARE, TERM_YEARS)
    ranked = revival_ranking.rank(cols, today, WEIGHTS, DEMAND_NEEDS_FULL, WARNING_DAYS)
    return Scored(cols, ranked, utcnow())


def attach_patents(rows: list[RevivalRow]) -> list[RevivalRow]:
    """Load the whole records of ``rows`` (one page) with their owners, in one query."""
    ids = [row.facts.id for row in rows]
    found = {p.id: p for p in db.session.scalars(
        select(Patent).where(Patent.id.in_(ids)).options(selectinload(Patent.owner)))}
    for row in rows:
        row._patent = found.get(row.facts.id)
    return rows


def warning_horizon(today: date | None = None) -> date:
    """The last day inside the warning window."""
    return (today or local_today()) + timedelta(days=WARNING_DAYS)
