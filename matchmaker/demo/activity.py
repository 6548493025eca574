"""Simulated broker activity, so a fresh demo has a working queue, pipeline and dashboard.

After batch matching every pair is a candidate (待审). This walks about thirty of the best
pairs (the best pair of each need first, by score) along the pipeline 待审 -> 已推荐 -> 已联系 ->
洽谈中 -> 已签约 -> 已登记, or rejects some with a reason, writing one MatchHistory row per step
with timestamps spread over the last twelve weeks. Deterministic: the same pairs, moves and
dates (relative to ``now``) for the same matches.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..records import (
    CooperationMode,
    Feedback,
    LegalStatus,
    Match,
    MatchHistory,
    MatchNote,
    MatchStatus,
    Need,
    NeedStatus,
    Patent,
    RejectionReason,
    Role,
    User,
    utcnow,
)
from ..services.stale import AT
from .organizations import DIVISIONS, USERS

log = logging.getLogger(__name__)

S = MatchStatus
R = RejectionReason
PATH = [S.RECOMMENDED, S.CONTACTED, S.NEGOTIATING, S.SIGNED, S.REGISTERED]

# One entry per simulated pair, best pair first: (final status, rejection reason, the stage the
# rejection happens at, the broker's note). Better pairs tend to have got further, as in life.
PLAN: list[tuple[MatchStatus, RejectionReason | None, MatchStatus | None, str | None]] = [
    (S.REGISTERED, None, None, None),
    (S.SIGNED, None, None, None),
    (S.REGISTERED, None, None, None),
    (S.NEGOTIATING, None, None, None),
    (S.REGISTERED, None, None, None),
    (S.CONTACTED, None, None, None),
    (S.SIGNED, None, None, None),
    (S.REJECTED, R.PRICE_TERMS, S.NEGOTIATING,
     "企业认可技术效果，但对转让价格和付款方式未能与专利权人达成一致，暂停洽谈。"),
    (S.REGISTERED, None, None, None),
    (S.NEGOTIATING, None, None, None),
    (S.RECOMMENDED, None, None, None),
    (S.SIGNED, None, None, None),
    (S.CONTACTED, None, None, None),
    (S.REJECTED, R.TOO_EARLY, S.CONTACTED,
     "专利技术尚处于实验室阶段，缺少中试数据，企业希望技术成熟后再谈。"),
    (S.NEGOTIATING, None, None, None),
    (S.REGISTERED, None, None, None),
    (S.RECOMMENDED, None, None, None),
    (S.CONTACTED, None, None, None),
    (S.SIGNED, None, None, None),
    (S.REJECTED, R.BENEFIT_UNCLEAR, S.RECOMMENDED,
     "企业测算改造投入较大、收益不明确，暂不考虑引进。"),
    (S.NEGOTIATING, None, None, None),
    (S.RECOMMENDED, None, None, None),
    (S.CONTACTED, None, None, None),
    (S.REJECTED, R.ALREADY_SOLVED, S.RECOMMENDED,
     "企业已通过与其他院校的合作项目解决了该问题。"),
    (S.NEGOTIATING, None, None, None),
    (S.RECOMMENDED, None, None, None),
    (S.CONTACTED, None, None, None),
    (S.REJECTED, R.OTHER, S.CONTACTED,
     "专利权人正在调整成果转化策略，近期不对外许可该专利。"),
    (S.RECOMMENDED, None, None, None),
    (S.REJECTED, R.NOT_RELEVANT, S.CANDIDATE,
     "经核对，专利解决的问题与需求的核心指标不对应，不予推荐。"),
]

_STEP_REASON = {
    S.RECOMMENDED: "技术指标与需求吻合，推荐给企业",
    S.CONTACTED: "已分别联系企业和专利权人，双方同意对接",
    S.NEGOTIATING: "完成现场技术交流，进入合作条件洽谈",
    S.REGISTERED: "已完成技术合同认定登记",
}
_SIGNED_REASON = {
    CooperationMode.TRANSFER: "签订专利权转让合同",
    CooperationMode.LICENCE: "签订专利实施许可合同",
    CooperationMode.JOINT_DEVELOPMENT: "签订技术开发（合作）合同",
    CooperationMode.TECHNICAL_SERVICE: "签订技术服务合同",
    CooperationMode.EQUITY: "签订技术作价入股协议",
}
NOTES = [
    "企业技术负责人希望先看到中试样品的第三方检测报告，已请专利权人准备。",
    "已约定到企业现场考察，需提前确认生产线停机检修的时间。",
    "专利权人同意先签普通许可，试用一年后再商议独占许可。",
    "企业关注专利剩余保护期和年费缴纳情况，已核实专利有效、年费已缴。",
    "双方对首付款比例有分歧，建议采用入门费加销售提成的方式。",
    "合同文本已交双方法务审核，预计两周内签署。",
    "已协助企业准备技术合同认定登记材料，可申请研发费用加计扣除。",
    "企业希望高校派工程师驻厂三个月配合工艺调试，已转告发明人团队。",
]
WINDOW_DAYS = 84  # twelve weeks


def simulate_activity(now: datetime | None = None) -> dict:
    """Move about thirty candidate pairs along the pipeline; returns counts (idempotent)."""
    now = now or utcnow()
    moved = db.session.scalar(select(func.count(Match.id)).where(Match.status != S.CANDIDATE))
    if moved:
        log.info("pipeline already has %d moved pairs; activity not simulated", moved)
        return {"pairs": 0, "history": 0, "notes": 0, "skipped": True}
    brokers = _demo_brokers()
    if not brokers:
        return {"pairs": 0, "history": 0, "notes": 0, "skipped": True}
    pairs = _choose_pairs(len(PLAN))
    history = notes = 0
    finals: Counter = Counter()
    for i, (match, plan) in enumerate(zip(pairs, PLAN, strict=False)):
        broker = match.need.broker or _broker_for(match, brokers)
        h, n = _walk(match, i, plan, broker, now)
        history += h
        notes += n
        finals[match.status.value] += 1
    db.session.commit()
    result = {"pairs": len(pairs), "history": history, "notes": notes, "by_status": dict(finals)}
    log.info("simulated broker activity: %s", result)
    return result


def _demo_brokers() -> list[User]:
    names = [spec.username for spec in USERS if spec.role == Role.BROKER.value]
    found = {
        u.username: u
        for u in db.session.scalars(
            select(User).where(User.username.in_(names), User.active.is_(True))
        )
    }
    return [found[name] for name in names if name in found]


def _choose_pairs(count: int) -> list[Match]:
    """The best candidate of each open need by score (and the weakest need's, to reject)."""
    ranked = db.session.scalars(
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(
            Match.status == S.CANDIDATE,
            Need.status == NeedStatus.OPEN,
            Patent.legal_status.in_([LegalStatus.VALID, LegalStatus.PENDING]),
        )
        .order_by(Match.score.desc(), Match.id)
    ).all()
    best, needs = [], set()
    for match in ranked:  # the best pair of each need, best needs first
        if match.need_id not in needs:
            best.append(match)
            needs.add(match.need_id)
    if len(best) >= count:
        # The last plan entry is a "not relevant" rejection: give it the weakest need's best
        # pair, the kind of distant candidate a broker really turns down.
        chosen = [*best[: count - 1], best[-1]]
    else:
        taken = {m.id for m in best}
        chosen = (best + [m for m in ranked if m.id not in taken])[:count]
    # In score order: the plan gives the better pairs, on the whole, the longer histories.
    return sorted(chosen, key=lambda m: (-m.score, m.id))


def _scope(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").replace("，", ",").split(",") if part.strip()}


def _broker_for(match: Match, brokers: list[User]) -> User:
    """The first demo broker whose fields (IPC sections) and regions cover the pair."""
    sections = {code[:1] for code in match.patent.ipc_codes}
    for broker in brokers:
        fields = {f[:1].upper() for f in _scope(broker.broker_fields)}
        regions = _scope(broker.broker_regions)
        in_region = not regions or match.need.region_league in regions
        if (not fields or fields & sections) and in_region:
            return broker
    return brokers[0]


def _walk(match: Match, i: int, plan: tuple, broker: User, now: datetime) -> tuple[int, int]:
    """Write the history of one pair; returns (history rows, notes) added."""
    final, reason, reject_at, note = plan
    if final is S.REJECTED:
        steps = PATH[: PATH.index(reject_at) + 1] if reject_at in PATH else []
        steps = [*steps, S.REJECTED]
    else:
        steps = PATH[: PATH.index(final) + 1]
    # Pairs are spread over the window: the first started ~12 weeks ago, the last ~3.5 weeks
    # ago; steps are evenly spaced and end at least two days before now. Office hours in
    # Beijing (UTC+8) are 01:00-09:00 UTC.
    start_days = WINDOW_DAYS - 1 - 2 * i
    gap = min(12.0, (start_days - 2) / (len(steps) + 0.5))
    start = now - timedelta(days=start_days)
    times = [
        (start + timedelta(days=gap * (k + 1))).replace(
            hour=1 + (i * 7 + k * 5) % 8, minute=(i * 13 + k * 29) % 60, second=0, microsecond=0
        )
        for k in range(len(steps))
    ]
    match.created_at = start
    match.broker = broker
    rows = _creation_row(match, start)
    previous = S.CANDIDATE
    for to, at in zip(steps, times, strict=True):
        # Same shape as the pipeline service writes: "<rejection code>: <note>" for rejections.
        why = f"{reason.value}: {note}" if to is S.REJECTED else _reason_for(match, to)
        db.session.add(
            MatchHistory(
                match=match, at=at, actor=broker, from_status=previous, to_status=to, reason=why
            )
        )
        previous = to
        rows += 1
        if to is S.SIGNED:
            match.contract_amount = _amount(match, i)
        if to is S.REGISTERED:
            match.contract_number = _registration_number(match, at, i)
    match.status = final
    match.status_changed_at = times[-1]
    match.updated_at = times[-1]
    if final is S.REJECTED:
        match.rejection_reason = reason
        match.rejection_note = note
        if reject_at is S.RECOMMENDED:  # the enterprise said no after seeing the recommendation
            match.enterprise_feedback = Feedback.NOT_INTERESTED
            match.feedback_reason = note
    elif PATH.index(final) >= PATH.index(S.CONTACTED):
        match.enterprise_feedback = Feedback.INTERESTED
    if final in (S.SIGNED, S.REGISTERED):
        if match.need.status is NeedStatus.OPEN:
            # the need's other candidates leave the queue (services.stale) when it was signed
            db.session.info[AT] = times[steps.index(S.SIGNED)]
            match.need.status = NeedStatus.MATCHED
            db.session.flush()
            db.session.info.pop(AT, None)
        match.patent.dormant = False
    notes = 0
    if final not in (S.REJECTED, S.RECOMMENDED) and i % 3 != 2:
        body = NOTES[i % len(NOTES)]
        at = times[0] + (times[1] - times[0]) / 2 if len(times) > 1 else times[0]
        db.session.add(MatchNote(match=match, author=broker, body=body, created_at=at))
        notes = 1
    return rows, notes


def _creation_row(match: Match, start: datetime) -> int:
    """Backdate the pair's creation; add its 'created as candidate' history row if missing."""
    for row in match.history:
        if row.from_status is None:
            row.at = start
            return 0
    created = MatchHistory(
        match=match, at=start, from_status=None, to_status=S.CANDIDATE, reason="批量匹配生成候选"
    )
    db.session.add(created)
    return 1


def _reason_for(match: Match, to: MatchStatus) -> str | None:
    if to is S.SIGNED:
        return _SIGNED_REASON[match.need.cooperation_mode]
    return _STEP_REASON.get(to)


def _amount(match: Match, i: int) -> Decimal:
    """A contract amount in 万元: near the asking price, else near the need's budget."""
    base = match.patent.asking_price or match.need.budget_max or Decimal(60)
    amount = Decimal(base) * Decimal(str(0.7 + 0.1 * (i % 4)))
    return max(Decimal("5.00"), amount.quantize(Decimal("0.01")))


def _registration_number(match: Match, at: datetime, i: int) -> str:
    """A 技术合同登记号: the need's county division code, the year and a serial (15 digits)."""
    division = DIVISIONS.get(match.need.region_county or "", "150200")
    return f"{division}{at.year}{100 + i * 17:05d}"
