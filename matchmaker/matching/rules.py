"""Business rules: which pairs may be proposed at all, and small, visible score adjustments.

Pure functions over plain facts (no database, no Flask). Every adjustment is recorded as
``{"rule", "label", "delta"}``; ``label`` is an English msgid the portal translates. Deltas are
a few hundredths: the fused score lies in (0, 1) and a rule must reorder close calls, never
lift an irrelevant patent over a relevant one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from ..regions import LEAGUES

# Enum values as stored in the database (records.enums), repeated here as plain strings so the
# rules stay importable without the ORM.
DEAD_PATENT = frozenset({"lapsed", "expired"})
OPEN_NEED = "open"
REJECTED = "rejected"

# cooperation mode of the need -> licensing modes of the patent that serve it
COMPATIBLE_MODES: dict[str, frozenset[str]] = {
    "transfer": frozenset({"transfer"}),
    "licence": frozenset({"exclusive", "ordinary", "open"}),
    "equity": frozenset({"transfer", "exclusive"}),
}


@dataclass(frozen=True)
class RuleConfig:
    """Rule deltas; small relative to the fused score (0..1)."""

    home_region: str = "包头市"
    same_region: float = 0.03
    home_bonus: float = 0.02
    inner_mongolia: float = 0.01
    open_licence: float = 0.02
    within_budget: float = 0.02
    over_budget: float = -0.03
    over_budget_factor: float = 2.0  # "far above" = more than this times the budget's top
    mode_compatible: float = 0.02


@dataclass
class PatentFacts:
    """What the rules need to know about a patent."""

    id: int
    legal_status: str = "valid"
    region_league: str | None = None  # the owner's 盟市
    asking_price: Decimal | float | None = None  # 万元
    licensing_modes: Collection[str] = field(default_factory=tuple)


@dataclass
class NeedFacts:
    """What the rules need to know about a need."""

    id: int
    status: str = OPEN_NEED
    region_league: str | None = None
    budget_min: Decimal | float | None = None
    budget_max: Decimal | float | None = None
    cooperation_mode: str | None = None


def excluded(need: NeedFacts, patent: PatentFacts, rejected: Collection[tuple[int, int]],
             *, direction: str) -> str | None:
    """The reason this pair may not be proposed, or None when it may.

    ``direction`` is "need" (need -> patents) or "patent" (patent -> needs: only open needs).
    """
    if str(patent.legal_status) in DEAD_PATENT:
        return "patent_not_in_force"
    if (need.id, patent.id) in rejected:
        return "rejected_before"
    if direction == "patent" and str(need.status) != OPEN_NEED:
        return "need_not_open"
    return None


def adjustments(need: NeedFacts, patent: PatentFacts, config: RuleConfig) -> list[dict]:
    """The rule adjustments for one pair, in a stable order."""
    out: list[dict] = []

    def add(rule: str, label: str, delta: float) -> None:
        if delta:
            out.append({"rule": rule, "label": label, "delta": round(delta, 4)})

    region = patent.region_league
    if region and need.region_league and region == need.region_league:
        add("same_region", "Same region as the need", config.same_region)
    elif region and region == config.home_region:
        add("home_region", "Patent holder in the home region", config.home_bonus)
    elif region and region in LEAGUES:
        add("inner_mongolia", "Patent holder in Inner Mongolia", config.inner_mongolia)

    modes = {str(m) for m in patent.licensing_modes}
    if "open" in modes:
        add("open_licence", "Open licence (开放许可) offered", config.open_licence)

    price, top = _num(patent.asking_price), _num(need.budget_max)
    if price is not None and top is not None and top > 0:
        if price <= top:
            add("within_budget", "Asking price within the budget", config.within_budget)
        elif price > config.over_budget_factor * top:
            add("over_budget", "Asking price far above the budget", config.over_budget)

    wanted = COMPATIBLE_MODES.get(str(need.cooperation_mode or ""))
    if wanted and modes & wanted:
        add("mode_compatible", "Licensing mode fits the cooperation mode", config.mode_compatible)
    return out


def _num(value) -> float | None:
    return None if value is None else float(value)
