"""Release events (成果发布会) with their listed patents."""

from __future__ import annotations

from flask import request

from ..extensions import db
from ..records import ReleaseEvent
from ..services import events
from . import bp, spec, user
from .common import (
    decode_cursor,
    encode_cursor,
    etag_of,
    get_or_404,
    json_response,
    limit_of,
    with_etag,
)
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.misc import EventDetail, EventList, EventOut, EventQuery, ListingOut

TAGS = ["events"]
FIELDS = ("id", "number", "name", "held_on", "venue", "theme", "target_industries",
          "target_regions", "status")


def _event(event: ReleaseEvent) -> dict:
    return {key: getattr(event, key) for key in FIELDS}


@bp.get("/events")
@spec.validate(query=EventQuery, resp=responses({200: EventList}), tags=TAGS)
def list_events():
    """Events you may see, by date (newest first)."""
    query: EventQuery = request.context.query
    limit = limit_of(query.limit)
    offset = int((decode_cursor(query.cursor, ("o",)) or {"o": 0})["o"])
    if offset < 0:
        raise ApiProblem(400, "The cursor is not valid.")
    stmt = events.visible_events(user(), query.status).offset(offset).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    cursor = encode_cursor({"o": offset + limit}) if len(rows) > limit else None
    return json_response(EventList(items=[EventOut(**_event(e)) for e in rows[:limit]],
                                   next_cursor=cursor))


@bp.get("/events/<int:event_id>")
@spec.validate(resp=responses({200: EventDetail}, 404), tags=TAGS)
def get_event(event_id: int):
    """One event with its listed patents in programme order."""
    event = get_or_404(ReleaseEvent, event_id, "event")
    if not events.can_view(user(), event):
        raise ApiProblem(404, "No such event.")
    listings = [ListingOut(patent_id=x.patent_id, publication_number=x.patent.publication_number,
                           title=x.patent.title, on_stage=bool(x.on_stage), position=x.position,
                           summary=x.summary) for x in event.listings]
    detail = EventDetail(**_event(event), listings=listings)
    return with_etag(detail, etag_of("event", event.id, event.updated_at.isoformat(),
                                     len(listings)))
