"""The review queue: filtered, sorted, paginated pairs a user may see (bulk actions on them:
``queue_bulk``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Row, Select, case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..records import (
    Match,
    MatchStatus,
    Need,
    Patent,
    PatentIPC,
    Role,
    User,
    utcnow,
)
from . import access, pipeline, scores

SORTS = ("score", "age", "status")
BROKER_MINE = "mine"
BROKER_NONE = "unassigned"
COUNT_CAP = 1000  # exact totals up to here (40 pages of 25); "more than 1000" beyond
FLAG_COLUMNS = {"region": Match.flag_region, "open_licence": Match.flag_open_licence,
                "budget": Match.flag_budget, "mode": Match.flag_mode}
_STAGE_ORDER = {status: i for i, status in enumerate([*pipeline.STAGES, MatchStatus.REJECTED])}


@dataclass
class QueueFilters:
    """What the queue shows; ``None`` means no restriction."""

    statuses: tuple[MatchStatus, ...] | None = (MatchStatus.CANDIDATE,)
    score_min: float | None = None  # the fused engine score (``Match.score``): the API's filter
    score_max: float | None = None
    # The calibrated 0-100 score every list shows (``Match.calibrated``): the portal's filter.
    # A bound set here leaves out pairs without a calibrated score (see ``_where``).
    calibrated_min: float | None = None
    calibrated_max: float | None = None
    ipc_section: str | None = None  # "A" .. "H"
    field: str | None = None  # technical field, matched in the need's or the patent's field
    region: str | None = None  # 盟市 of the need
    age_min: int | None = None  # days since the last status change
    age_max: int | None = None
    broker: str | int | None = None  # BROKER_MINE, BROKER_NONE or a user id
    # Also candidates whose calibrated score is under STRONG_MATCH_MIN (暂无强匹配); by
    # default they are hidden. Pairs a broker already moved on are always shown.
    weak: bool = False
    flags: dict[str, bool] | None = None  # preference flag -> wanted value (FLAG_COLUMNS)
    sort: str = "score"  # one of SORTS
    reverse: bool = False  # flip the sort's natural direction


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of ``total`` rows (1 for none): a page asked for past it
    shows it."""
    return max(1, -(-total // per_page))


@dataclass
class Page:
    """One page of pairs (the shape of the ``pagination`` macro's argument)."""

    items: list[Match]
    page: int
    per_page: int
    total: int
    capped: bool = False  # more than ``total`` pairs match

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _where(user: User, filters: QueueFilters) -> list:
    clauses = [access.match_filter(user)]
    if filters.statuses:
        clauses.append(Match.status.in_(filters.statuses))
    # ``score + 0``: the bounds are checked while the queue is read in the order it is shown
    # (the (status, calibrated) index), never used to pick the (status, score) index instead,
    # which would make the database sort every pair in the score range before the first page
    # (measured at 100k pairs: bench/bench_api.py "filtered").
    if filters.score_min is not None:
        clauses.append(Match.score + 0 >= filters.score_min)
    if filters.score_max is not None:
        clauses.append(Match.score + 0 <= filters.score_max)
    # A pair stored without a calibrated score shows its raw fused score instead (_score.html):
    # it cannot be said to score 70 or more, nor 30 or less, so any bound leaves it out (SQL's
    # comparison with NULL does that). The "strong" rule keeps such pairs because hiding is the
    # default there; here a person asked for a score range. The bounds follow the order the
    # queue is read in (the (status, calibrated) index), so no ``+ 0`` is needed.
    if filters.calibrated_min is not None:
        clauses.append(Match.calibrated >= filters.calibrated_min)
    if filters.calibrated_max is not None:
        clauses.append(Match.calibrated <= filters.calibrated_max)
    if filters.ipc_section:
        clauses.append(
            exists(
                select(PatentIPC.id).where(
                    PatentIPC.patent_id == Match.patent_id,
                    PatentIPC.section == filters.ipc_section.upper()[:1],
                )
            )
        )
    if filters.field:
        pattern = f"%{_escape_like(filters.field.strip())}%"
        clauses.append(
            or_(
                Need.technical_field.like(pattern, escape="\\"),
                Patent.technical_field.like(pattern, escape="\\"),
            )
        )
    if filters.region:
        clauses.append(Need.region_league == filters.region)
    now = utcnow()
    if filters.age_min is not None:
        clauses.append(Match.status_changed_at <= now - timedelta(days=filters.age_min))
    if filters.age_max is not None:
        clauses.append(Match.status_changed_at >= now - timedelta(days=filters.age_max))
    if filters.broker == BROKER_NONE:
        clauses.append(Match.broker_id.is_(None))
    elif filters.broker == BROKER_MINE:
        clauses.append(Match.broker_id == user.id)
    elif filters.broker not in (None, ""):
        clauses.append(Match.broker_id == int(filters.broker))
    if not filters.weak:
        clauses.append(or_(Match.status != MatchStatus.CANDIDATE, Match.calibrated.is_(None),
                           Match.calibrated >= scores.thresholds().strong))
    for name, wanted in (filters.flags or {}).items():
        clauses.append(FLAG_COLUMNS[name].is_(bool(wanted)))
    return clauses


def _order(filters: QueueFilters) -> list:
    # Each sort has a natural direction (best score, longest wait, earliest stage first);
    # ``reverse`` flips it. The id keeps pages stable when values tie. Within one status the
    # stage order is moot, so it falls back to the score (which has an index).
    if filters.sort == "age":
        column = Match.status_changed_at.desc() if filters.reverse else Match.status_changed_at.asc()
        return [column, Match.id.asc()]
    if filters.sort == "status" and not (filters.statuses and len(filters.statuses) == 1):
        stage = case(_STAGE_ORDER, value=Match.status)
        return [stage.desc() if filters.reverse else stage.asc(), *_by_score(False), Match.id.asc()]
    return [*_by_score(filters.reverse), Match.id.asc()]


def _by_score(reverse: bool) -> list:
    """The score shown to brokers: the calibrated 0-100 score, then the fused relevance (pairs
    stored without a calibrated score come after those with one)."""
    if reverse:
        return [Match.calibrated.asc().nulls_last(), Match.score.asc()]
    return [Match.calibrated.desc().nulls_last(), Match.score.desc()]


def queue_select(user: User, filters: QueueFilters) -> Select:
    """``select(Match)`` of the pairs ``user`` may see that pass ``filters``, sorted."""
    return (
        select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(*_where(user, filters))
        .order_by(*_order(filters))
    )


def _capped_count(where: list, cap: int | None) -> int:
    """How many pairs pass ``where``, counting no further than ``cap`` (None: all)."""
    limited = (
        select(Match.id)
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(*where)
        .limit(cap)
    )
    return db.session.scalar(select(func.count()).select_from(limited.subquery())) or 0


def _fetch(stmt, offset: int, limit: int) -> list[Match]:
    options = (contains_eager(Match.need), contains_eager(Match.patent), joinedload(Match.broker))
    return list(db.session.scalars(stmt.options(*options).limit(limit).offset(offset)).unique())


def _by_stage(user: User, filters: QueueFilters, offset: int, limit: int) -> list[Match]:
    """A page in pipeline order, one status at a time.

    Sorting every visible pair by a CASE over the status reads them all; walking the statuses in
    order, each by score on the (status, score) index, reads only as far as the page.
    """
    statuses = [s for s in _STAGE_ORDER if not filters.statuses or s in filters.statuses]
    if filters.reverse:
        statuses.reverse()
    rows: list[Match] = []
    for status in statuses:
        one = replace(filters, statuses=(status,), sort="score", reverse=False)
        where = _where(user, one)
        wanted = limit - len(rows)
        available = _capped_count(where, offset + wanted)
        if available <= offset:
            offset -= available
            continue
        rows += _fetch(queue_select(user, one), offset, wanted)
        offset = 0
        if len(rows) >= limit:
            break
    return rows


def queue_page(user: User, filters: QueueFilters, page: int = 1, per_page: int = 25,
               total: int | None = None) -> Page:
    """One page of the queue with the need, patent and broker of each pair loaded.

    The default view (candidates, strong ones, no other filter) counts exactly (the 待审 figure
    of ``figures.pending`` also counts weak candidates, which the default view hides). Filtered
    views are exact up to ``COUNT_CAP``;
    beyond it the page says "more than" (``capped``): a filtered count may walk every
    visible pair, and the queue must stay fast at 100k rows. ``total``: the default view's
    count when the caller has it already (``figures.pending_counts``, one pass for both).
    """
    exact = filters == QueueFilters()  # the default view shows the 待审 figure, exactly
    where = _where(user, filters)
    if total is None or not exact:
        total = _capped_count(where, None) if exact else _capped_count(where, COUNT_CAP + 1)
    page = max(1, min(page, last_page(total if exact else COUNT_CAP, per_page)))
    offset = (page - 1) * per_page
    if filters.sort == "status" and not (filters.statuses and len(filters.statuses) == 1):
        rows = _by_stage(user, filters, offset, per_page)
    else:
        rows = _fetch(queue_select(user, filters), offset, per_page)
    capped = not exact and total > COUNT_CAP
    return Page(items=rows, page=page, per_page=per_page, total=min(total, COUNT_CAP) if capped else total,
                capped=capped)


def brokers() -> list[Row]:
    """Active brokers' ``id`` and ``display_name``, for assignment and filter choices.

    Two columns, not users: the queue and the pair page list every broker, and loading each
    as a whole ``User`` cost them a millisecond and more (50 brokers in the load test).
    """
    return list(db.session.execute(
        select(User.id, User.display_name)
        .where(User.role == Role.BROKER, User.active.is_(True))
        .order_by(User.display_name)
    ))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

