""""Find matches now" on a need's or a patent's page, for brokers and administrators.

The engine ranks the other side (a need's patents, a patent's needs); the page lists those the
user may see, with the pair already stored for each, and one candidate can be added to the
review queue as a manual pair. One implementation serves both directions: the need and patent
views once held mirror copies of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, flash, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..errors import IndexUnusable, ValidationError
from ..extensions import db
from ..matching.rows import is_indexable_need, is_indexable_patent
from ..records import Match, Need, Patent
from ..services import access, records
from .needs.filters import shared_terms

log = logging.getLogger(__name__)

QUEUE_K = 50  # how deep "add to review queue" looks for the engine's candidate again


@dataclass(frozen=True)
class Direction:
    """One side's page: ``own`` records rank ``other`` records."""

    side: str  # "need" or "patent": the side the page is about
    own_key: str  # the pair's column naming the page's record
    other: type
    other_key: str  # the pair's (and a candidate's) column naming the ranked record
    other_filter: Callable  # access filter of the ranked records for a user
    can_view_other: Callable
    matchable: Callable  # whether the engine still matches the page's record

    def rank(self, record, k: int) -> list:
        from ..services.matching import match_need, match_patent

        return (match_need if self.side == "need" else match_patent)(record, k=k, explain=True)


NEED_TO_PATENTS = Direction("need", "need_id", Patent, "patent_id", access.patent_filter,
                            access.can_view_patent, is_indexable_need)
PATENT_TO_NEEDS = Direction("patent", "patent_id", Need, "need_id", access.need_filter,
                            access.can_view_need, is_indexable_patent)


def requested_k() -> int:
    """How many candidates to show: ``?k=``, within 1..QUEUE_K (MATCH_TOP_K by default)."""
    k = request.args.get("k", current_app.config["MATCH_TOP_K"], type=int)
    return max(1, min(QUEUE_K, k))


def ranked_rows(direction: Direction, record, k: int) -> tuple[list[tuple], str | None]:
    """(candidate, ranked record, stored pair or None, shared terms) per candidate the user may
    see, and the error to show when the engine could not rank (the record is unaffected)."""
    error = None
    if not direction.matchable(record):  # the engine matches it no more: say why
        return [], (_("This patent has lapsed, expired or left the listings: it is no longer "
                      "matched.") if direction.side == "patent" else
                    _("This need is closed or already matched: it is no longer matched."))
    try:
        candidates = direction.rank(record, k)
    except IndexUnusable:  # a rebuild was requested; it runs outside this request
        error = _("The search index is being rebuilt. Please try again in a few minutes.")
        candidates = []
    except Exception:
        log.exception("find matches failed for %s %s", direction.side, record.id)
        error = _("The matching engine is unavailable now. Please try again later.")
        candidates = []
    ids = [getattr(c, direction.other_key) for c in candidates]
    model = direction.other
    visible = {r.id: r for r in db.session.scalars(
        select(model).where(model.id.in_(ids), direction.other_filter(current_user)))}
    existing = {getattr(m, direction.other_key): m for m in db.session.scalars(
        access.visible_matches(current_user).where(
            getattr(Match, direction.own_key) == record.id))}
    rows = [(c, visible[other_id], existing.get(other_id), shared_terms(c))
            for c in candidates if (other_id := getattr(c, direction.other_key)) in visible]
    return rows, error


def add_to_queue(direction: Direction, record, other_id: int) -> None:
    """Queue the engine's pair of ``record`` and record ``other_id``, flashing the outcome;
    404 / 403 when the other record is missing or hidden from the user."""
    other = db.session.get(direction.other, other_id) or abort(404)
    if not direction.can_view_other(db.session, current_user, other):
        abort(403)
    need, patent = (record, other) if direction.side == "need" else (other, record)
    try:
        records.queue_from_engine(need, patent, actor=current_user, side=direction.side,
                                  depth=QUEUE_K)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    except Exception:  # the engine failed; nothing was written
        db.session.rollback()
        log.exception("queueing need %s / patent %s failed", need.id, patent.id)
        flash(_("The matching engine is unavailable now. Please try again later."), "danger")
    else:
        flash(_("Added to the review queue."), "success")
