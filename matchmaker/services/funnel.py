"""The follow-up funnel of a release event: what its patents and its enterprises led to.

The event's pairs are the stored matches between its listed patents and the needs of its
registered enterprises. A pair counts in every stage it ever reached, read from its history
(a signed pair was contacted too; a pair rejected while negotiating still counts as contacted
and negotiating). Contract amounts count only pairs that are signed or registered now: a
cancelled contract brings no money.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..labels import label
from ..records import (
    EventPatent,
    EventRegistration,
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    Organization,
    Patent,
    ReleaseEvent,
    User,
)
from .access import need_filter, visible_matches

S = MatchStatus
# Position of each status on the forward path; rejected has none (it is not progress).
LEVEL = {
    S.CANDIDATE: 0,
    S.RECOMMENDED: 1,
    S.CONTACTED: 2,
    S.NEGOTIATING: 3,
    S.SIGNED: 4,
    S.REGISTERED: 5,
}
#: The funnel's stages: (key, label, lowest level that counts).
STAGES = [
    ("created", _l("Pairs"), 0),
    ("contacted", _l("Contacted"), LEVEL[S.CONTACTED]),
    ("negotiating", _l("Negotiating"), LEVEL[S.NEGOTIATING]),
    ("signed", _l("Signed"), LEVEL[S.SIGNED]),
    ("registered", _l("Registered"), LEVEL[S.REGISTERED]),
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class FunnelCounts:
    """How many pairs reached each stage, and the amount of the live contracts (万元)."""

    created: int = 0
    contacted: int = 0
    negotiating: int = 0
    signed: int = 0
    registered: int = 0
    amount: Decimal = field(default_factory=lambda: Decimal("0"))

    def add(self, pair: FunnelPair) -> None:
        for key, _label, level in STAGES:
            if pair.level >= level:
                setattr(self, key, getattr(self, key) + 1)
        if pair.contract_amount is not None:
            self.amount += pair.contract_amount

    def stages(self) -> list[tuple[str, int]]:
        """(label, count) per stage, for ``funnel_chart``."""
        return [(str(label), getattr(self, key)) for key, label, _ in STAGES]


@dataclass
class FunnelPair:
    match: Match
    need: Need
    patent: Patent
    organization: Organization
    level: int  # the furthest stage reached (see LEVEL)
    need_hidden: bool = False  # counted, but its title is not for this viewer
    contract_hidden: bool = False  # counted, but another broker's contract terms

    @property
    def contract_amount(self) -> Decimal | None:
        """The live contract's amount, when this viewer may see the pair."""
        if self.contract_hidden or not self.live_contract:
            return None
        return self.match.contract_amount

    @property
    def contract_number(self) -> str | None:
        return None if self.contract_hidden else self.match.contract_number

    @property
    def need_title(self) -> str:
        return str(_l("(confidential need)")) if self.need_hidden else self.need.title

    @property
    def live_contract(self) -> bool:
        return self.match.status in (S.SIGNED, S.REGISTERED)

    def reached(self, key: str) -> bool:
        return self.level >= next(level for k, _label, level in STAGES if k == key)


@dataclass
class EventFunnel:
    event: ReleaseEvent
    totals: FunnelCounts
    by_patent: list[tuple[Patent, FunnelCounts]]
    by_enterprise: list[tuple[Organization, FunnelCounts]]
    pairs: list[FunnelPair]


def reached_level(status: MatchStatus, seen: set[MatchStatus]) -> int:
    """The furthest forward stage among the current status and every status in the history."""
    return max((LEVEL[s] for s in {status, *seen} if s in LEVEL), default=0)


def event_pairs(event: ReleaseEvent, viewer: User | None = None) -> list[FunnelPair]:
    """Every stored pair between the event's patents and its registered enterprises' needs.

    With ``viewer``, pairs whose need the viewer may not see still count but hide its title,
    and pairs the viewer may not open (another broker's) hide their contract terms.
    """
    listed = select(EventPatent.patent_id).where(EventPatent.event_id == event.id)
    registered = select(EventRegistration.organization_id).where(
        EventRegistration.event_id == event.id
    )
    rows = db.session.execute(
        select(Match, Need, Patent, Organization)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .join(Organization, Organization.id == Need.enterprise_id)
        .where(Match.patent_id.in_(listed), Need.enterprise_id.in_(registered))
        .order_by(Organization.name, Need.id, Match.score.desc())
    ).all()
    seen: dict[int, set[MatchStatus]] = defaultdict(set)
    ids = [m.id for m, *_ in rows]
    if ids:
        history = select(MatchHistory.match_id, MatchHistory.from_status, MatchHistory.to_status)
        for match_id, frm, to in db.session.execute(history.where(MatchHistory.match_id.in_(ids))):
            seen[match_id].update(s for s in (frm, to) if s is not None)
    hidden: set[int] = set()
    closed: set[int] = set()
    if viewer is not None and rows:
        need_ids = {n.id for _m, n, _p, _o in rows}
        visible = set(
            db.session.scalars(select(Need.id).where(Need.id.in_(need_ids), need_filter(viewer)))
        )
        hidden = need_ids - visible
        open_pairs = visible_matches(viewer).where(Match.id.in_(ids)).with_only_columns(Match.id)
        closed = set(ids) - set(db.session.scalars(open_pairs))
    return [
        FunnelPair(m, n, p, o, reached_level(MatchStatus(m.status), seen[m.id]), n.id in hidden,
                   m.id in closed)
        for m, n, p, o in rows
    ]


def event_funnel(event: ReleaseEvent, viewer: User | None = None) -> EventFunnel:
    """Totals, per listed patent and per registered enterprise (zeros included)."""
    pairs = event_pairs(event, viewer)
    totals = FunnelCounts()
    per_patent = {listing.patent_id: FunnelCounts() for listing in event.listings}
    per_org = {r.organization_id: FunnelCounts() for r in event.registrations}
    for pair in pairs:
        totals.add(pair)
        per_patent[pair.patent.id].add(pair)
        per_org[pair.organization.id].add(pair)
    by_patent = [(listing.patent, per_patent[listing.patent_id]) for listing in event.listings]
    by_org = sorted(
        ((r.organization, per_org[r.organization_id]) for r in event.registrations),
        key=lambda row: (-row[1].signed, -row[1].created, row[0].name),
    )
    return EventFunnel(event, totals, by_patent, by_org, pairs)


def csv_cell(value) -> str:
    """A CSV cell that spreadsheets will not run: text starting with = + - @ gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def funnel_csv(funnel: EventFunnel) -> str:
    """One row per pair with the stages it reached; UTF-8 with BOM so Excel shows Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    # In the reader's language, with the score brokers see (calibrated 0-100 when stored).
    header = [
        _("Event"), _("Publication number"), _("Patent"), _("Enterprise"), _("Need"),
        _("Score"), _("Status"), *[str(stage_label) for _key, stage_label, _level in STAGES],
        _("Contract amount (10k yuan)"), _("Registration number"),
    ]
    writer.writerow(header)
    for pair in funnel.pairs:
        match = pair.match
        row = [
            funnel.event.number,
            pair.patent.publication_number,
            pair.patent.title,
            pair.organization.name,
            pair.need_title,
            match.calibrated if match.calibrated is not None else f"{match.score:.3f}",
            label(MatchStatus(match.status)),
            *[1 if pair.reached(key) else 0 for key, _label, _level in STAGES],
            pair.contract_amount if pair.contract_amount is not None else "",
            pair.contract_number or "",
        ]
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()
