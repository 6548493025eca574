"""Demo release events: one held in Baotou with its follow-up, one upcoming.

Runs after the demo seed, batch matching and the simulated broker activity. Patents and
enterprises are picked from the database by the same suggestion lists brokers use (ranked by
demand, ties broken by id), so the result is deterministic for a given database and day. Pairs
of the held event are walked along the pipeline with history dated after the event.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..records import (
    EventPatent,
    EventRegistration,
    EventStatus,
    LegalStatus,
    Match,
    MatchHistory,
    MatchStatus,
    Need,
    NeedStatus,
    Organization,
    OrgKind,
    Patent,
    RejectionReason,
    ReleaseEvent,
    Role,
    User,
)
from ..services.event_suggestions import suggest_enterprises, suggest_patents, terms
from ..services.record_checks import local_today

log = logging.getLogger(__name__)
S = MatchStatus
PATH = [S.RECOMMENDED, S.CONTACTED, S.NEGOTIATING, S.SIGNED, S.REGISTERED]
# Final status of each walked pair, best pair first; rejected ones stop after "contacted".
PLAN = [
    S.REGISTERED,
    S.SIGNED,
    S.NEGOTIATING,
    S.REGISTERED,
    S.CONTACTED,
    S.REJECTED,
    S.NEGOTIATING,
    S.RECOMMENDED,
    S.CONTACTED,
    S.CANDIDATE,
]
_REASONS = {
    S.RECOMMENDED: "发布会后推荐给企业",
    S.CONTACTED: "发布会现场对接后，经纪人安排双方技术负责人交流",
    S.NEGOTIATING: "企业赴高校实验室考察，进入合作条件洽谈",
    S.SIGNED: "签订专利实施许可合同",
    S.REGISTERED: "已完成技术合同认定登记",
    S.REJECTED: "other: 企业评估后认为现有产线改造投入过大，暂缓合作",
}
PAST = {
    "sequence": 6,
    "name": "蒙科聚科技成果发布会（第6期）· 稀土新材料专场",
    "days": -40,
    "venue": "包头市稀土高新区 稀土产业园区会展中心",
    "theme": "稀土新材料：稀土永磁、稀土抛光、稀土催化与冶炼分离（H01F、C22C、C01F）",
    "industries": "稀土永磁材料,稀土抛光材料,稀土催化材料,稀土冶炼分离",
    "regions": "包头市",
}
UPCOMING = {
    "sequence": 7,
    "name": "蒙科聚科技成果发布会（第7期）· 氢能与新能源装备专场",
    "days": 21,
    "venue": "包头市青山区 装备制造产业园区科技大厦",
    "theme": "氢能与新能源装备：制氢储氢、燃料电池、风电、矿用卡车电动化（H01M、C25B、F03D、B60L）",
    "industries": "氢能,风电,新能源汽车,装备制造",
    "regions": "包头市,鄂尔多斯市",
}


def _number(spec: dict, held: date) -> str:
    return f"蒙科聚-{held.year}-第{spec['sequence']}期"


def seed_demo_events(today: date | None = None) -> dict:
    """Create the two demo events (idempotent: existing demo events are left as they are)."""
    today = today or local_today()
    broker = _broker()
    result = {
        "events": 0,
        "listings": 0,
        "registrations": 0,
        "pairs_walked": 0,
        "matches_created": 0,
    }
    for spec, held in ((PAST, True), (UPCOMING, False)):
        on = today + timedelta(days=spec["days"])
        number = _number(spec, on)
        if db.session.scalar(select(ReleaseEvent.id).where(ReleaseEvent.name == spec["name"])):
            log.info("demo event %s exists; left as it is", number)
            continue
        event = ReleaseEvent(
            number=number,
            name=spec["name"],
            held_on=on,
            venue=spec["venue"],
            theme=spec["theme"],
            target_industries=spec["industries"],
            target_regions=spec["regions"],
            status=EventStatus.PLANNED,
            created_by_id=getattr(broker, "id", None),
        )
        db.session.add(event)
        db.session.flush()
        listed = _list_patents(event, 8 if held else 6, on_stage=3 if held else 2)
        orgs = _register(event, 5 if held else 2, broker, attended=held)
        result["events"] += 1
        result["listings"] += len(listed)
        result["registrations"] += len(orgs)
        if held:
            event.status = EventStatus.HELD
            pairs, created = _pairs(listed, orgs, len(PLAN))
            result["matches_created"] += created
            for i, (match, final) in enumerate(zip(pairs, PLAN, strict=False)):
                _walk(match, final, i, on, broker)
            result["pairs_walked"] += min(len(pairs), len(PLAN))
    db.session.commit()
    log.info("demo events: %s", result)
    return result


def _broker() -> User | None:
    by_name = db.session.scalar(select(User).where(User.username == "demo-broker"))
    if by_name is not None:
        return by_name
    return db.session.scalar(
        select(User).where(User.role == Role.BROKER, User.active.is_(True)).order_by(User.id)
    )


def _list_patents(event: ReleaseEvent, count: int, on_stage: int) -> list[Patent]:
    """The best suggestions; filled up with enforceable patents by id when demand is thin."""
    chosen = [s.patent for s in suggest_patents(event, limit=count)]
    if len(chosen) < count:
        taken = {p.id for p in chosen}
        more = db.session.scalars(
            select(Patent)
            .where(Patent.legal_status.in_((LegalStatus.VALID, LegalStatus.PENDING)))
            .order_by(Patent.id)
        )
        chosen += [p for p in more if p.id not in taken][: count - len(chosen)]
    for i, patent in enumerate(chosen):
        db.session.add(EventPatent(event=event, patent=patent, position=i, on_stage=i < on_stage))
    db.session.flush()
    return chosen


def _register(
    event: ReleaseEvent, count: int, broker: User | None, *, attended: bool
) -> list[Organization]:
    orgs = [s.organization for s in suggest_enterprises(event, limit=count)]
    if len(orgs) < count:
        taken = {o.id for o in orgs}
        more = db.session.scalars(
            select(Organization)
            .where(Organization.kind == OrgKind.ENTERPRISE)
            .order_by(Organization.id)
        )
        orgs += [o for o in more if o.id not in taken][: count - len(orgs)]
    start = datetime.combine(event.held_on - timedelta(days=14), time(2, 0))
    for i, org in enumerate(orgs):
        db.session.add(
            EventRegistration(
                event=event,
                organization=org,
                registered_by_id=getattr(broker, "id", None),
                registered_at=start + timedelta(days=i),
                attended=attended,
            )
        )
    db.session.flush()
    return orgs


def _pairs(patents: list[Patent], orgs: list[Organization], count: int) -> tuple[list[Match], int]:
    """Untouched candidate pairs between the event's patents and enterprises, best first;
    pairs are created (source "event") when the batch matcher stored too few."""
    needs = list(
        db.session.scalars(
            select(Need)
            .where(Need.enterprise_id.in_([o.id for o in orgs]), Need.status == NeedStatus.OPEN)
            .order_by(Need.id)
        )
    )
    pids = [p.id for p in patents]
    stored = list(
        db.session.scalars(
            select(Match)
            .where(Match.patent_id.in_(pids), Match.need_id.in_([n.id for n in needs]))
            .order_by(Match.score.desc(), Match.id)
        )
    )
    pairs = [m for m in stored if m.status == S.CANDIDATE]
    existing = {(m.need_id, m.patent_id) for m in stored}
    created = 0
    # Each need at most once among the created pairs, so the walked pairs spread out.
    for need in needs:
        if len(pairs) >= count:
            break
        fresh = [p for p in patents if (need.id, p.id) not in existing]
        if not fresh:
            continue
        need_terms = terms(f"{need.title} {need.description}")
        scored = sorted(
            ((len(need_terms & terms(f"{p.title} {p.abstract}")), p) for p in fresh),
            key=lambda t: (-t[0], t[1].id),
        )
        overlap, patent = scored[0]
        shared = sorted(need_terms & terms(f"{patent.title} {patent.abstract}"))[:8]
        score = round(0.3 + 0.6 * min(1.0, overlap / 6), 3)
        match = Match(
            need=need,
            patent=patent,
            score=score,
            source="event",
            channel_scores={},
            explanation={
                "fused": score,
                "channels": {},
                "rules": [],
                "shared_terms": shared,
                "closest_sentences": [],
            },
        )
        db.session.add(match)
        pairs.append(match)
        created += 1
    db.session.flush()
    pairs.sort(key=lambda m: (-m.score, m.id))
    return pairs[:count], created


def _walk(match: Match, final: MatchStatus, i: int, held_on: date, broker: User | None) -> None:
    """Move one pair to ``final`` with history rows dated after the event."""
    if final is S.CANDIDATE:
        return
    steps = PATH[:2] + [S.REJECTED] if final is S.REJECTED else PATH[: PATH.index(final) + 1]
    start = datetime.combine(held_on, time(2, 0))  # 10:00 in Beijing, stored as UTC
    previous = S.CANDIDATE
    at = start
    for k, to in enumerate(steps):
        at = start + timedelta(days=1 + i + 4 * k, hours=(i * 3 + k) % 6)
        db.session.add(
            MatchHistory(
                match=match,
                at=at,
                actor_id=getattr(broker, "id", None),
                from_status=previous,
                to_status=to,
                reason=_REASONS[to],
            )
        )
        previous = to
    if final in (S.SIGNED, S.REGISTERED):
        base = match.patent.asking_price or match.need.budget_max or Decimal(50)
        match.contract_amount = (Decimal(base) * Decimal("0.8")).quantize(Decimal("0.01"))
        match.need.status = NeedStatus.MATCHED
        match.patent.dormant = False
    if final is S.REGISTERED:
        match.contract_number = f"150200{at.year}{90001 + i:05d}"
    if final is S.REJECTED:
        match.rejection_reason = RejectionReason.OTHER
        match.rejection_note = _REASONS[S.REJECTED].split(": ", 1)[1]
    match.status = final
    match.status_changed_at = at
    match.broker_id = getattr(broker, "id", None)
