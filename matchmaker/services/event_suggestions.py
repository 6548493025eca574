"""Suggestions for an event's programme and invitations, and per-enterprise match lists.

Demand is read from stored ``Match`` rows (the batch matcher's output): a pair counts when its
need is open and the pair was not rejected. Every suggestion carries the factors behind its
rank so a broker can see why it is there.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select

from ..extensions import db
from ..records import (
    EventPatent,
    EventRegistration,
    LegalStatus,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Organization,
    Patent,
    PatentIPC,
    ReleaseEvent,
    User,
)
from . import scores
from .access import need_filter
from .events import split_list

# Candidates without any demand are only worth a look when the theme names their IPC class;
# this caps how many of those are scored.
_NO_DEMAND_CAP = 200
_CHUNK = 200  # patents loaded per query while ranking
_ABSTRACT_CHARS = 400  # the theme shows in an abstract's opening; bounds the tokenising
_IPC_TOKEN = re.compile(r"\b([A-H]\d{2}[A-Z]?)\b")
# Words every patent or theme says; sharing them proves nothing.
_STOP = {
    "一种",
    "方法",
    "装置",
    "系统",
    "制备",
    "技术",
    "应用",
    "及其",
    "用于",
    "专场",
    "领域",
    "本发明",
    "实用新型",
    "发布会",
    "成果",
    "科技",
    "the",
    "and",
    "for",
    "with",
    "method",
    "device",
}
REGION_BONUS = 1.2  # enterprises in the event's target regions rank a little higher


def terms(text: str | None) -> set[str]:
    """Content words of ``text`` (jieba search mode, stopwords and single characters dropped)."""
    if not text:
        return set()
    import jieba  # lazy: loading the dictionary takes about half a second

    jieba.setLogLevel(60)
    words = {w.strip().lower() for w in jieba.lcut_for_search(text)}
    return {w for w in words if len(w) >= 2 and w not in _STOP and not w.isdigit()}


@dataclass
class ThemeProfile:
    """What an event is about: its words, IPC prefixes and industries."""

    words: set[str]
    ipc_prefixes: list[str]
    industries: list[str]

    @property
    def empty(self) -> bool:
        return not (self.words or self.ipc_prefixes or self.industries)


def theme_profile(event: ReleaseEvent) -> ThemeProfile:
    """The theme of ``event`` from its theme text and target industries."""
    blob = " ".join(filter(None, [event.theme, event.target_industries]))
    prefixes = sorted(set(_IPC_TOKEN.findall(blob.upper())))
    return ThemeProfile(terms(blob), prefixes, split_list(event.target_industries))


@dataclass
class ThemeFit:
    score: float  # 0..1, the best of the three signals below
    ipc_hits: list[str] = field(default_factory=list)
    field_hit: bool = False
    shared_terms: list[str] = field(default_factory=list)


def theme_fit(profile: ThemeProfile, patent: Patent) -> ThemeFit:
    """How well ``patent`` fits the theme: IPC class named, field named, or shared words."""
    if profile.empty:
        return ThemeFit(1.0)
    ipc_hits = [c for c in patent.ipc_codes if any(c.startswith(p) for p in profile.ipc_prefixes)]
    tech = (patent.technical_field or "").strip()
    field_hit = bool(tech) and any(i in tech or tech in i for i in profile.industries)
    own = terms(
        " ".join(filter(None, [patent.title, tech, (patent.abstract or "")[:_ABSTRACT_CHARS]]))
    )
    shared = sorted(profile.words & own)
    # Sharing four theme words is a full fit: themes are short, a few words carry them.
    text_fit = min(1.0, len(shared) / max(1, min(len(profile.words), 4)))
    score = max(1.0 if ipc_hits or field_hit else 0.0, text_fit)
    return ThemeFit(round(score, 3), ipc_hits, field_hit, shared)


@dataclass
class PatentSuggestion:
    patent: Patent
    open_needs: int  # open needs matched to it
    best_score: float  # its strongest match
    demand: float  # expected open needs a broker would recommend it for (sum of likelihoods)
    fit: ThemeFit
    priority: float  # demand x theme fit: the rank order
    best_calibrated: int | None = None  # the strongest match as brokers see it (0-100)


def likelihood(calibrated: int | None, score: float) -> float:
    """P(a broker would recommend the pair): its calibrated score / 100; a pair stored without
    one (before calibration, or no model) counts with its raw score held to 0..1."""
    if calibrated is not None:
        return calibrated / 100.0
    return min(1.0, max(0.0, float(score)))


# ``likelihood`` in SQL, summed over a patent's pairs
_LIKELIHOOD = case(
    (Match.calibrated.is_not(None), Match.calibrated / 100.0),
    (Match.score > 1, 1.0),
    (Match.score < 0, 0.0),
    else_=Match.score,
)


def demand_by_patent(*patents) -> dict[int, tuple[int, float, float, int | None]]:
    """patent_id -> (open needs, best score, demand, best calibrated score) over live pairs;
    ``patents``: conditions on ``Patent`` that limit the patents counted (the revival list's
    scope), else every patent.

    Demand is the expected number of open needs a broker would recommend the patent for: the
    sum of its pairs' ``likelihood`` (calibrated scores / 100), on one scale for every patent.
    """
    stmt = (
        select(
            Match.patent_id,
            func.count(),  # one pair per need and patent (unique): no DISTINCT to sort out
            func.max(Match.score),
            func.sum(_LIKELIHOOD),
            func.max(Match.calibrated),
        )
        .join(Need, Need.id == Match.need_id)
        .where(Need.status == NeedStatus.OPEN, Match.status != MatchStatus.REJECTED)
        .group_by(Match.patent_id)
    )
    if patents:
        stmt = stmt.join(Patent, Patent.id == Match.patent_id).where(*patents)
    # Core, not the ORM's result machinery: a row per patent, up to 100k for the revival list
    return {
        pid: (n, float(best or 0), float(total or 0), calibrated)
        for pid, n, best, total, calibrated in db.session.connection().execute(stmt)
    }


def suggest_patents(event: ReleaseEvent, limit: int = 30) -> list[PatentSuggestion]:
    """Enforceable, not yet listed patents in the theme, ranked by demand x theme fit."""
    profile = theme_profile(event)
    demand = demand_by_patent()
    listed = set(
        db.session.scalars(select(EventPatent.patent_id).where(EventPatent.event_id == event.id))
    )
    ids = set(demand) - listed
    if profile.ipc_prefixes:
        in_class = (
            select(PatentIPC.patent_id)
            .where(or_(*[PatentIPC.code.startswith(p) for p in profile.ipc_prefixes]))
            .distinct()
            .order_by(PatentIPC.patent_id)
            .limit(_NO_DEMAND_CAP)
        )
        ids |= set(db.session.scalars(in_class)) - listed
    # Highest demand first: a fit is at most 1, so once the demand of the next candidate is
    # below the limit-th best priority found, no later candidate can enter the list.
    order = sorted(ids, key=lambda pid: (-demand.get(pid, (0, 0.0, 0.0, None))[2], pid))
    out: list[PatentSuggestion] = []
    best: list[float] = []  # min-heap of the top ``limit`` priorities
    for start in range(0, len(order), _CHUNK):
        chunk = order[start : start + _CHUNK]
        rows = db.session.scalars(
            select(Patent).where(
                Patent.id.in_(chunk),
                Patent.legal_status.in_((LegalStatus.VALID, LegalStatus.PENDING)),
            )
        )
        by_id = {p.id: p for p in rows}
        for pid in chunk:
            n, top, total, calibrated = demand.get(pid, (0, 0.0, 0.0, None))
            if len(best) >= limit and total < best[0]:
                return _ranked(out, limit)
            patent = by_id.get(pid)
            fit = theme_fit(profile, patent) if patent is not None else None
            if fit is None or fit.score <= 0:
                continue
            priority = round(total * fit.score, 4)
            out.append(PatentSuggestion(patent, n, round(top, 4), round(total, 4), fit, priority,
                                        calibrated))
            heapq.heappush(best, priority)
            if len(best) > limit:
                heapq.heappop(best)
    return _ranked(out, limit)


def _ranked(found: list[PatentSuggestion], limit: int) -> list[PatentSuggestion]:
    found.sort(key=lambda s: (-s.priority, -s.fit.score, -s.open_needs, s.patent.id))
    return found[:limit]


@dataclass
class Pair:
    """A stored match between one of the event's patents and an enterprise's open need."""

    match: Match
    need: Need
    patent: Patent

    @property
    def shared_terms(self) -> list[str]:
        return list((self.match.explanation or {}).get("shared_terms") or [])[:8]

    @property
    def closest_sentences(self) -> list[dict]:
        found = (self.match.explanation or {}).get("closest_sentences") or []
        return [s for s in found if isinstance(s, dict) and s.get("text")][:2]


def _listed_pairs(event: ReleaseEvent, user: User | None, *, open_only: bool = True):
    """Stored live pairs between the event's listed patents and needs ``user`` may see."""
    listed = select(EventPatent.patent_id).where(EventPatent.event_id == event.id)
    stmt = (
        select(Match, Need, Patent)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(Match.patent_id.in_(listed), Match.status != MatchStatus.REJECTED)
        .order_by(Match.score.desc(), Match.id)
    )
    if open_only:
        stmt = stmt.where(Need.status == NeedStatus.OPEN)
    if user is not None:
        stmt = stmt.where(need_filter(user))
    return stmt


@dataclass
class EnterpriseSuggestion:
    organization: Organization
    pairs: list[Pair]
    needs: int  # matching open needs
    best_score: float  # the likelihood of its best pair
    strength: float  # expected needs a listed patent fits: sum of each need's best likelihood
    in_target_region: bool
    priority: float
    best_match: Match | None = None  # its pair with the highest likelihood


def suggest_enterprises(
    event: ReleaseEvent, user: User | None = None, limit: int = 30
) -> list[EnterpriseSuggestion]:
    """Unregistered enterprises whose open needs match the listed patents, strongest first."""
    registered = select(EventRegistration.organization_id).where(
        EventRegistration.event_id == event.id
    )
    stmt = _listed_pairs(event, user).where(Need.enterprise_id.not_in(registered))
    grouped: dict[int, list[Pair]] = defaultdict(list)
    for match, need, patent in db.session.execute(stmt):
        grouped[need.enterprise_id].append(Pair(match, need, patent))
    regions = set(split_list(event.target_regions))
    out = []
    for pairs in grouped.values():
        org = pairs[0].need.enterprise
        best_per_need: dict[int, float] = {}
        for p in pairs:
            best_per_need[p.need.id] = max(best_per_need.get(p.need.id, 0.0),
                                           likelihood(p.match.calibrated, p.match.score))
        strength = sum(best_per_need.values())
        best_match = max(pairs, key=lambda p: likelihood(p.match.calibrated, p.match.score)).match
        in_region = bool(regions) and org.region_league in regions
        priority = strength * (REGION_BONUS if in_region else 1.0)
        out.append(
            EnterpriseSuggestion(
                org,
                pairs,
                len(best_per_need),
                max(best_per_need.values()),
                round(strength, 4),
                in_region,
                round(priority, 4),
                best_match,
            )
        )
    out.sort(key=lambda s: (-s.priority, -s.needs, s.organization.name))
    return out[:limit]


@dataclass
class EnterpriseList:
    """One registered enterprise's open needs and the listed patents matching each."""

    organization: Organization
    needs: list[tuple[Need, list[Pair]]]


def enterprise_match_lists(event: ReleaseEvent, user: User | None = None) -> list[EnterpriseList]:
    """For each registered enterprise: its open needs and the listed patents that match them."""
    registrations = sorted(event.registrations, key=lambda r: r.organization.name)
    org_ids = [r.organization_id for r in registrations]
    needs_stmt = select(Need).where(Need.enterprise_id.in_(org_ids), Need.status == NeedStatus.OPEN)
    if user is not None:
        needs_stmt = needs_stmt.where(need_filter(user))
    needs_by_org: dict[int, list[Need]] = defaultdict(list)
    for need in db.session.scalars(needs_stmt.order_by(Need.id)):
        needs_by_org[need.enterprise_id].append(need)
    pairs_by_need: dict[int, list[Pair]] = defaultdict(list)
    # as the review queue by default: no candidate under the strong-match line (a pair scored
    # 0 低 was listed as a match for an enterprise, QA stop 35); worked pairs always
    strong_or_worked = or_(Match.status != MatchStatus.CANDIDATE, Match.calibrated.is_(None),
                           Match.calibrated >= scores.thresholds().strong)
    for match, need, patent in db.session.execute(
        _listed_pairs(event, user).where(Need.enterprise_id.in_(org_ids), strong_or_worked)
    ):
        pairs_by_need[need.id].append(Pair(match, need, patent))
    return [
        EnterpriseList(
            r.organization, [(n, pairs_by_need[n.id]) for n in needs_by_org[r.organization_id]]
        )
        for r in registrations
    ]
