"""Other lists of pairs: a broker's kanban board, and what enterprises and universities see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..errors import PermissionDenied
from ..extensions import db
from ..records import Match, MatchStatus, Need, Patent, Role, User
from . import access, figures, pipeline
from .pipeline import tr
from .queue import Page, last_page


@dataclass
class Column:
    """One kanban column: a status, how many pairs have it, and the first few."""

    status: MatchStatus
    count: int
    items: list[Match]
    from_queue: bool = False  # the 待审 column of one's own board: counted like the queue


def board(user: User, broker_id: int | None, per_column: int = 30) -> list[Column]:
    """Kanban columns, one per status: the pairs of ``broker_id`` (all brokers' when None).

    A broker only ever gets their own board (the pairs assigned to them are always theirs to
    see); admins may look at any broker's or at all assigned pairs. On one's own board (a
    broker's, or an admin's view of all) the 待审 column counts what the review queue counts
    (``figures.pending``: every pending pair the viewer may review) and links there.
    """
    if user.role is Role.BROKER:
        broker_id = user.id
    elif user.role is not Role.ADMIN:
        raise PermissionDenied(tr("You may not see the pipeline."))
    scope = Match.broker_id == broker_id if broker_id else Match.broker_id.is_not(None)
    # Grouping by (broker, status) reads only the ix_matches_broker_status index; summing the
    # brokers here is far cheaper than letting the database group by status alone.
    counts: dict[MatchStatus, int] = {}
    grouped = select(Match.broker_id, Match.status, func.count()).group_by(
        Match.broker_id, Match.status
    )
    for _broker, status, count in db.session.execute(grouped.where(scope)):
        counts[MatchStatus(status)] = counts.get(MatchStatus(status), 0) + count
    columns = []
    for status in [*pipeline.STAGES, MatchStatus.REJECTED]:
        items = []
        if counts.get(status):
            items = db.session.scalars(
                select(Match)
                .where(scope, Match.status == status)
                .options(joinedload(Match.need), joinedload(Match.patent), joinedload(Match.broker))
                .order_by(Match.score.desc(), Match.id)
                .limit(per_column)
            ).all()
        columns.append(Column(status, counts.get(status, 0), list(items)))
    if user.role is Role.BROKER or broker_id is None:
        # The cards stay the assigned pairs (unassigned ones live in the queue); the count is
        # the queue's: every pending pair the viewer may review.
        first = columns[0]
        columns[0] = Column(first.status, figures.pending(user), first.items, from_queue=True)
    return columns


def recommendations_page(user: User, page: int = 1, per_page: int = 25) -> Page:
    """Recommended pairs for an enterprise (by need) or a university (by patent), paginated.

    A page past the end shows the last one, as every other list does (``portal.paging``):
    ``?page=9999``, a stale bookmark, or the page a feedback form posts back after the list
    shrank once said "4 pairs" right above "Nothing recommended yet."
    """
    if user.role not in (Role.ENTERPRISE, Role.UNIVERSITY):
        raise PermissionDenied(tr("Recommendations are for enterprise and university users."))
    group = Match.need_id if user.role is Role.ENTERPRISE else Match.patent_id
    where = [access.match_filter(user)]
    total = db.session.scalar(
        select(func.count(Match.id))
        .join(Need, Need.id == Match.need_id)
        .join(Patent, Patent.id == Match.patent_id)
        .where(*where)
    ) or 0
    page = max(1, min(page, last_page(total, per_page)))
    rows = db.session.scalars(
        access.visible_matches(user)
        .options(
            contains_eager(Match.need).joinedload(Need.enterprise),
            contains_eager(Match.patent).joinedload(Patent.owner),
            joinedload(Match.broker),
            selectinload(Match.patent, Patent.ipc_links),
            selectinload(Match.patent, Patent.licence_links),
        )
        .order_by(group.desc(), Match.score.desc(), Match.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique().all()
    return Page(items=list(rows), page=page, per_page=per_page, total=total)


def has_own_records(user: User) -> bool:
    """Whether the organization of an enterprise user has posted a need, or that of a university
    user listed a patent: without one there is nothing a broker could recommend, and the empty
    recommendations page says to post one first."""
    if user.role is Role.ENTERPRISE:
        own = select(Need.id).where(Need.enterprise_id == user.organization_id)
    elif user.role is Role.UNIVERSITY:
        own = select(Patent.id).where(Patent.owner_id == user.organization_id)
    else:
        return False
    return db.session.scalar(select(own.exists())) or False
