"""Key figures against the region's goals: brokers, contracts, revived patents, events.

Goals: 2,500 active technology brokers, and technology-contract turnover growing 10% a year.
A contract is a pair that is signed or registered now, dated by the first time it reached
signed (its history; ``status_changed_at`` when no history row says so). Amounts are in 万元.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import to_user_timezone
from sqlalchemy import func, select

from ..extensions import db
from ..records import EventStatus, Match, MatchHistory, MatchStatus, ReleaseEvent, Role, User
from .funnel import event_funnel
from .record_checks import local_today

BROKER_GOAL = 2500
GROWTH_TARGET = Decimal("0.10")
LIVE = (MatchStatus.SIGNED, MatchStatus.REGISTERED)


@dataclass
class ContractTally:
    count: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class EventOutcome:
    event: ReleaseEvent
    pairs: int
    signed: int
    amount: Decimal


@dataclass
class RegionKPIs:
    year: int
    active_brokers: int
    broker_goal: int
    this_year: ContractTally  # 1 January up to today
    last_year_same_period: ContractTally
    last_year: ContractTally  # the whole previous year
    patents_revived_this_year: int
    patents_revived_total: int
    events: list[EventOutcome]

    @property
    def broker_share(self) -> float:
        return self.active_brokers / self.broker_goal if self.broker_goal else 0.0

    @property
    def growth(self) -> float | None:
        """Amount growth over the same period last year (None without a base)."""
        base = self.last_year_same_period.amount
        return float((self.this_year.amount - base) / base) if base else None

    @property
    def target_amount(self) -> Decimal:
        """This year's goal: last year's full amount plus the policy's 10%."""
        return (self.last_year.amount * (1 + GROWTH_TARGET)).quantize(Decimal("0.01"))

    @property
    def target_share(self) -> float | None:
        return float(self.this_year.amount / self.target_amount) if self.target_amount else None

    @property
    def on_track(self) -> bool | None:
        """Growing at least 10% over the same period last year (None without a base)."""
        growth = self.growth
        return None if growth is None else growth >= float(GROWTH_TARGET)


def contract_dates() -> list[tuple[int, int, datetime, Decimal]]:
    """(match id, patent id, first signed at, amount) for every live contract."""
    first = (
        select(MatchHistory.match_id, func.min(MatchHistory.at).label("at"))
        .where(MatchHistory.to_status.in_(LIVE))
        .group_by(MatchHistory.match_id)
        .subquery()
    )
    stmt = (
        select(
            Match.id,
            Match.patent_id,
            func.coalesce(first.c.at, Match.status_changed_at),
            Match.contract_amount,
        )
        .outerjoin(first, first.c.match_id == Match.id)
        .where(Match.status.in_(LIVE))
    )
    return [
        (mid, pid, at, amount or Decimal("0")) for mid, pid, at, amount in db.session.execute(stmt)
    ]


def _tally(rows, start: date, end: date) -> ContractTally:
    """Contracts first signed in [start, end]."""
    tally = ContractTally()
    for _mid, _pid, at, amount in rows:
        if at is not None and start <= at.date() <= end:
            tally.count += 1
            tally.amount += Decimal(amount)
    return tally


def _same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def region_kpis(today: date | None = None, events: int = 5) -> RegionKPIs:
    """Compute every figure (a handful of queries; the template global calls it lazily)."""
    today = today or local_today()
    year = today.year
    # stored in UTC; the year and its periods are calendar days in the portal's time zone
    rows = [(mid, pid, at and to_user_timezone(at), amount)
            for mid, pid, at, amount in contract_dates()]
    brokers = (
        db.session.scalar(
            select(func.count(User.id)).where(User.role == Role.BROKER, User.active.is_(True))
        )
        or 0
    )
    # A patent counts as revived by its first contract through the platform (see README gap:
    # the pipeline clears Patent.dormant on signing, so earlier dormancy is not recorded).
    first_by_patent: dict[int, datetime] = {}
    for _mid, pid, at, _amount in rows:
        if at is not None and (pid not in first_by_patent or at < first_by_patent[pid]):
            first_by_patent[pid] = at
    held = db.session.scalars(
        select(ReleaseEvent)
        .where(ReleaseEvent.status == EventStatus.HELD)
        .order_by(ReleaseEvent.held_on.desc())
        .limit(events)
    )
    outcomes = []
    for event in held:
        totals = event_funnel(event).totals
        outcomes.append(EventOutcome(event, totals.created, totals.signed, totals.amount))
    return RegionKPIs(
        year=year,
        active_brokers=brokers,
        broker_goal=BROKER_GOAL,
        this_year=_tally(rows, date(year, 1, 1), today),
        last_year_same_period=_tally(rows, date(year - 1, 1, 1), _same_day_last_year(today)),
        last_year=_tally(rows, date(year - 1, 1, 1), date(year - 1, 12, 31)),
        patents_revived_this_year=sum(1 for at in first_by_patent.values() if at.year == year),
        patents_revived_total=len(first_by_patent),
        events=outcomes,
    )
