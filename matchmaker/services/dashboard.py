"""Numbers for the dashboard: open needs, dormant patents, the pipeline by stage, broker, field
and IPC section, and 12-week trends of new pairs and signed contracts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import case, func, select

from ..extensions import db
from ..records import (
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    NeedStatus,
    Patent,
    PatentIPC,
    User,
    utcnow,
)
from . import figures
from .pipeline import STAGES

S = MatchStatus
DEALS = (S.SIGNED, S.REGISTERED)  # a registered contract was signed first
WEEKS = 12
TOP_FIELDS = 12


@dataclass
class Row:
    """Pairs of one broker, field or section: per status, deals and their amount (万元)."""

    name: str
    by_status: dict[MatchStatus, int] = field(default_factory=dict)
    amount: Decimal = Decimal("0")

    @property
    def pairs(self) -> int:
        return sum(self.by_status.values())

    @property
    def deals(self) -> int:
        return sum(self.by_status.get(s, 0) for s in DEALS)


@dataclass
class Overview:
    open_needs: int
    dormant_patents: int
    candidate_pairs: int
    stages: list[tuple[MatchStatus, int]]
    deals: int
    deal_amount: Decimal
    brokers: list[Row]
    fields: list[Row]
    sections: list[Row]
    weeks: list[datetime]  # the Monday (UTC) each week starts
    new_pairs: list[int]
    signed_per_week: list[int]


def _rows(stmt, name_of) -> list[Row]:
    """Fold (key, status, count, amount) rows into one Row per key."""
    rows: dict = {}
    for key, status, count, amount in db.session.execute(stmt):
        row = rows.setdefault(key, Row(name_of(key)))
        row.by_status[MatchStatus(status)] = count
        if status in DEALS and amount is not None:
            row.amount += Decimal(amount)
    return sorted(rows.values(), key=lambda r: (-r.pairs, r.name))


def _grouped(key):
    amount = func.sum(case((Match.status.in_(DEALS), Match.contract_amount)))
    return select(key, Match.status, func.count(), amount)


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The Monday 00:00 of each of the last ``weeks`` weeks, oldest first (this week last)."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _weekly(column, starts: list[datetime], *where) -> list[int]:
    """Counts of rows per week in one grouped query (a CASE maps a timestamp to its week)."""
    bucket = case(
        *[(column >= start, i) for i, start in reversed(list(enumerate(starts)))], else_=-1
    )
    counts = dict(
        db.session.execute(
            select(bucket, func.count()).where(column >= starts[0], *where).group_by(bucket)
        ).all()
    )
    return [counts.get(i, 0) for i in range(len(starts))]


def overview(now: datetime | None = None) -> Overview:
    """Every dashboard number, platform-wide."""
    now = now or utcnow()
    stages = dict(db.session.execute(select(Match.status, func.count()).group_by(Match.status)).all())
    deal_amount = db.session.scalar(
        select(func.sum(Match.contract_amount)).where(Match.status.in_(DEALS))
    )
    names = dict(db.session.execute(select(User.id, User.display_name)).all())
    brokers = _rows(_grouped(Match.broker_id).group_by(Match.broker_id, Match.status),
                    lambda key: names.get(key, "") if key else "")
    field_key = func.coalesce(Need.technical_field, "")
    fields = _rows(
        _grouped(field_key).join(Need, Need.id == Match.need_id).group_by(field_key, Match.status),
        lambda key: key,
    )[:TOP_FIELDS]
    # The main classification (position 0) decides a patent's section.
    sections = _rows(
        _grouped(PatentIPC.section)
        .join(PatentIPC, (PatentIPC.patent_id == Match.patent_id) & (PatentIPC.position == 0))
        .group_by(PatentIPC.section, Match.status),
        lambda key: key,
    )
    starts = week_starts(now)
    return Overview(
        open_needs=db.session.scalar(select(func.count(Need.id)).where(Need.status == NeedStatus.OPEN)),
        dormant_patents=db.session.scalar(select(func.count(Patent.id)).where(Patent.dormant.is_(True))),
        candidate_pairs=figures.pending(),
        stages=[(s, stages.get(s, 0)) for s in [*STAGES, S.REJECTED]],
        deals=figures.signed_contracts(),
        deal_amount=Decimal(deal_amount or 0),
        brokers=brokers,
        fields=fields,
        sections=sorted(sections, key=lambda r: r.name),
        weeks=starts,
        new_pairs=_weekly(Match.created_at, starts),
        signed_per_week=_weekly(MatchHistory.at, starts, MatchHistory.to_status == S.SIGNED),
    )


def cached_overview(max_age: float = 60.0) -> Overview:
    """``overview()`` computed at most once per ``max_age`` seconds per app and process.

    The dashboard aggregates every pair (several grouped scans over 100k rows); numbers a
    minute old are fine there, and a busy morning of page views then costs one computation.
    """
    cache = current_app.extensions.setdefault("matchmaker.dashboard", {})
    now = time.monotonic()
    if "at" in cache and now - cache["at"] < max_age:
        return cache["overview"]
    cache["overview"] = overview()
    cache["at"] = now
    return cache["overview"]


def funnel(stages: list[tuple[MatchStatus, int]]) -> list[tuple[MatchStatus, int]]:
    """Pairs that reached each forward stage: one at 'signed' was also recommended, contacted...

    Rejected pairs are left out (their furthest stage is in their history, not their status).
    """
    forward = [(s, n) for s, n in stages if s in STAGES]
    out, running = [], 0
    for status, count in reversed(forward):
        running += count
        out.append((status, running))
    return list(reversed(out))

