"""Business rules: which pairs may be proposed at all (eligibility), and visible preference flags.

Pure functions over plain facts (no database, no Flask).

Eligibility excludes: a patent not in force (lapsed, expired), a pair a broker rejected, a
patent or need blocked by a patent-level or need-level rejection, a closed need, and (patents
-> needs) any need that is not open.

Preferences never change the relevance score. Each candidate carries four flags (region, open
licence, price against budget, cooperation mode), recorded as
``{"rule", "value", "label", "delta"}``: ``value`` True (favourable), False (unfavourable) or
None (unknown), ``label`` an English msgid the portal translates, ``delta`` the tie-break points.
``prefer`` orders candidates by relevance and lets the points reorder only candidates whose
relevance lies within ``RuleConfig.margin`` of the best one of their band: a candidate that is
``margin`` or more less relevant than another is never placed above it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..regions import LEAGUES

# Enum values as stored in the database (records.enums), repeated here as plain strings so the
# rules stay importable without the ORM.
DEAD_PATENT = frozenset({"lapsed", "expired"})
OPEN_NEED = "open"
CLOSED_NEED = "closed"
REJECTED = "rejected"
FLAGS = ("region", "open_licence", "budget", "mode")  # the order flags are shown in

# cooperation mode of the need -> licensing modes of the patent that serve it
COMPATIBLE_MODES: dict[str, frozenset[str]] = {
    "transfer": frozenset({"transfer"}),
    "licence": frozenset({"exclusive", "ordinary", "open"}),
    "equity": frozenset({"transfer", "exclusive"}),
}


@dataclass(frozen=True)
class RuleConfig:
    """Tie-break points per favourable flag, and the relevance margin they may act within.

    ``margin`` is in fused-score units (the fused score lies in about 0..1.1); 0 turns the
    tie-break off (pure relevance order).
    """

    home_region: str = "包头市"
    margin: float = 0.02
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
    owner_id: int | None = None
    family_id: str | None = None
    blocked: bool = False  # a patent-level rejection (权利人不许可, 已转让, 已许可独占)
    main_ipc: str | None = None  # families: near-duplicates share owner and main IPC code
    language: str = "zh"  # "zh" when the title has Chinese characters, else "en"


@dataclass
class NeedFacts:
    """What the rules need to know about a need."""

    id: int
    status: str = OPEN_NEED
    region_league: str | None = None
    budget_min: Decimal | float | None = None
    budget_max: Decimal | float | None = None
    cooperation_mode: str | None = None
    blocked: bool = False  # a need-level rejection (already solved)


def excluded(need: NeedFacts, patent: PatentFacts, rejected: Collection[tuple[int, int]],
             *, direction: str) -> str | None:
    """The reason this pair may not be proposed, or None when it may.

    ``direction`` is "need" (need -> patents) or "patent" (patent -> needs: only open needs).
    """
    if str(patent.legal_status) in DEAD_PATENT:
        return "patent_not_in_force"
    if patent.blocked:
        return "patent_withdrawn"
    if (need.id, patent.id) in rejected:
        return "rejected_before"
    if need.blocked:
        return "need_withdrawn"
    if str(need.status) == CLOSED_NEED:
        return "need_closed"
    if direction == "patent" and str(need.status) != OPEN_NEED:
        return "need_not_open"
    return None


def flags(need: NeedFacts, patent: PatentFacts, config: RuleConfig) -> list[dict]:
    """The four preference flags of one pair, in ``FLAGS`` order."""
    out: list[dict] = []

    def add(rule: str, value: bool | None, label: str, delta: float = 0.0) -> None:
        out.append({"rule": rule, "value": value, "label": label,
                    "delta": round(delta, 4) if value is not None else 0.0})

    region = patent.region_league
    if region and need.region_league and region == need.region_league:
        add("region", True, "Same region as the need", config.same_region)
    elif region and region == config.home_region:
        add("region", True, "Patent holder in the home region", config.home_bonus)
    elif region and region in LEAGUES:
        add("region", True, "Patent holder in Inner Mongolia", config.inner_mongolia)
    elif region:
        add("region", False, "Patent holder outside Inner Mongolia")
    else:
        add("region", None, "Region of the patent holder unknown")

    modes = {str(m) for m in patent.licensing_modes}
    if "open" in modes:
        add("open_licence", True, "Open licence offered", config.open_licence)
    else:
        add("open_licence", False, "No open licence")

    price, top = _num(patent.asking_price), _num(need.budget_max)
    if price is None or top is None or top <= 0:
        add("budget", None, "Price or budget not given")
    elif price <= top:
        add("budget", True, "Asking price within the budget", config.within_budget)
    elif price > config.over_budget_factor * top:
        add("budget", False, "Asking price far above the budget", config.over_budget)
    else:
        add("budget", False, "Asking price above the budget")

    wanted = COMPATIBLE_MODES.get(str(need.cooperation_mode or ""))
    if not wanted or not modes:
        add("mode", None, "Cooperation mode not comparable")
    elif modes & wanted:
        add("mode", True, "Licensing mode fits the cooperation mode", config.mode_compatible)
    else:
        add("mode", False, "Licensing mode does not fit the cooperation mode")
    return out


def flag_values(entries: Sequence[dict] | None) -> dict[str, bool | None]:
    """``{flag: value}`` from stored flag entries (missing flags are None)."""
    values: dict[str, bool | None] = dict.fromkeys(FLAGS)
    for entry in entries or ():
        if entry.get("rule") in values and "value" in entry:
            values[entry["rule"]] = entry["value"]
    return values


def points(entries: Sequence[dict]) -> float:
    """The tie-break points of a pair's flags."""
    return round(sum(float(e.get("delta") or 0.0) for e in entries), 6)


def prefer(items: Sequence[tuple[int, float, float]], margin: float) -> list[int]:
    """Ids ordered by relevance, preferences breaking near-ties only.

    ``items`` are (id, relevance, points). Bands are formed greedily from the most relevant
    down: a band holds every candidate less than ``margin`` below its first (most relevant)
    member. Inside a band, points decide, then relevance, then the id. So if ``a`` is at least
    ``margin`` more relevant than ``b``, ``b`` is in a later band and ``a`` comes first.
    """
    ordered = sorted(items, key=lambda t: (-t[1], t[0]))
    out: list[int] = []
    start = 0
    while start < len(ordered):
        top = ordered[start][1]
        end = start + 1
        while end < len(ordered) and top - ordered[end][1] < margin:
            end += 1
        band = sorted(ordered[start:end], key=lambda t: (-t[2], -t[1], t[0]))
        out.extend(t[0] for t in band)
        start = end
    return out


def title_language(title: str | None) -> str:
    """"zh" when ``title`` has a CJK character, else "en" (enough to tell a twin's language)."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in title or "") else "en"


def _num(value) -> float | None:
    return None if value is None else float(value)
