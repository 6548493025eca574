"""What the needs and patents resources share: newest-first pages behind an id cursor, LIKE
filters, the planner hint for a party's own pairs, and lookups that hide what a caller may
not see (a 404, never a 403, so a record's existence is not revealed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select

from ..extensions import db
from ..records import Match, Need, Organization, Patent, Role, User
from ..services import access
from . import user
from .common import MAX_ID, decode_cursor, encode_cursor, get_or_404
from .problems import ApiProblem


def contains(column, text: str):
    """``column LIKE %text%`` with the user's ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def newest_first(stmt: Select, id_column, cursor: str | None, limit: int, *,
                 unique: bool = False) -> tuple[list, str | None]:
    """One page of ``stmt`` by descending id after ``cursor``, and the next page's cursor
    (None on the last page). ``unique`` for statements with joined collections."""
    stmt = stmt.order_by(id_column.desc())
    after = decode_cursor(cursor, ("id",))
    if after:
        stmt = stmt.where(id_column < int(after["id"]))
    result = db.session.scalars(stmt.limit(limit + 1))
    rows = list(result.unique() if unique else result)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"id": rows[-1].id}) if more else None


@dataclass(frozen=True)
class Side:
    """One side of a pair: its record, the match column naming it, and its organization."""

    model: type
    match_column: object
    organization_column: object
    party: Role  # the role that owns records of this side


NEEDS = Side(Need, Match.need_id, Need.enterprise_id, Role.ENTERPRISE)
PATENTS = Side(Patent, Match.patent_id, Patent.owner_id, Role.UNIVERSITY)


def own_pairs_hint(viewer: User, listed: Side, own: Side) -> list:
    """A planner hint for a party listing the other side: the records of its shown pairs, as
    an IN list. It selects the same rows as the access filter (which still applies); without
    it SQLite checks the correlated EXISTS against every record (measured 400 ms at 20k
    patents)."""
    if viewer.role is not own.party:
        return []
    shown = (select(listed.match_column)
             .join(own.model, own.model.id == own.match_column)
             .where(own.organization_column == viewer.organization_id,
                    Match.status.in_(access.SHOWN_TO_PARTIES)))
    return [listed.model.id.in_(shown)]


def visible(model, record_id: int, what: str, can_view: Callable):
    """The record if the caller may see it (``can_view(session, user, record)``); 404 else."""
    record = get_or_404(model, record_id, what)
    if not can_view(db.session, user(), record):
        raise ApiProblem(404, f"No such {what}.")
    return record


def editable(record, what: str, can_edit: Callable):
    """``record`` if the caller may change it (``can_edit(user, record)``); 403 else."""
    if not can_edit(user(), record):
        raise ApiProblem(403, f"You may not change this {what}.")
    return record


def organization_or_422(org_id: int | None, field: str, what: str) -> Organization | None:
    """The organization a body names by id (None for none); 422 on ``field`` when unknown."""
    if org_id is None:
        return None
    org = db.session.get(Organization, org_id) if org_id <= MAX_ID else None
    if org is None:
        raise ApiProblem(422, f"No such {what}.", errors=[{"field": field, "message": "unknown"}])
    return org
