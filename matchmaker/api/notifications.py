"""The caller's own notifications."""

from __future__ import annotations

from flask import request

from ..errors import NotFound
from ..extensions import db
from ..records import Notification
from ..services import notify
from . import bp, spec, user
from .common import MAX_ID, decode_cursor, encode_cursor, json_response, limit_of
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.misc import NotificationList, NotificationOut, NotificationQuery

TAGS = ["notifications"]
FIELDS = ("id", "kind", "link", "created_at", "read_at")


def _out(note: Notification) -> NotificationOut:
    """The notice, its message in the call's language (its reader may have switched since)."""
    return NotificationOut(**{key: getattr(note, key) for key in FIELDS},
                           message=notify.text_of(note))


@bp.get("/notifications")
@spec.validate(query=NotificationQuery, resp=responses({200: NotificationList}), tags=TAGS)
def list_notifications():
    """Your notifications, newest first."""
    query: NotificationQuery = request.context.query
    limit = limit_of(query.limit)
    stmt = notify.user_notifications(user(), query.unread)
    after = decode_cursor(query.cursor, ("id",))
    if after:
        stmt = stmt.where(Notification.id < int(after["id"]))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    cursor = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return json_response(NotificationList(items=[_out(n) for n in rows[:limit]],
                                          next_cursor=cursor))


@bp.post("/notifications/<int:notification_id>/read")
@spec.validate(resp=responses({200: NotificationOut}, 404), tags=TAGS)
def read_notification(notification_id: int):
    """Mark one of your notifications read."""
    if notification_id > MAX_ID:
        raise ApiProblem(404, "No such notification.")
    try:
        note = notify.mark_read(user(), notification_id)
    except NotFound as exc:
        raise ApiProblem(404, str(exc)) from exc
    db.session.commit()
    return json_response(_out(note))
