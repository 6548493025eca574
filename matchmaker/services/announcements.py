"""Announce a record once: a new need's alerts and a new record's webhook event.

A job that announced a record and was then killed (the worker lost before the job's outcome was
recorded) runs again, and an import's retry counts the rows its killed attempt wrote as its own
(``ingest.service._written_since``), so the signals ``need_posted`` and ``patent_listed`` can
come twice for one record. Each receiver claims its announcement in the transaction that
writes its effects (the notifications, the webhook deliveries): the claim and the effects are
committed together or not at all, and a second claim of the same announcement finds the first.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..records import Announcement
from ..signals import need_posted, needs_posted, patent_listed, patents_listed

log = logging.getLogger(__name__)


def first_time(event: str, subject: str) -> bool:
    """Claim announcement ``event`` about ``subject`` in the current transaction; False when it
    was made before (the caller then announces nothing). The caller commits."""
    claimed = select(Announcement.id).where(Announcement.event == event,
                                            Announcement.subject == subject)
    if db.session.scalar(claimed) is not None:
        return False
    try:
        with db.session.begin_nested():  # another worker's claim of the same one: unique key
            db.session.add(Announcement(event=event, subject=subject))
    except IntegrityError:
        return False
    return True


def announce_new(kind: str, ids) -> None:
    """Send ``patent_listed`` or ``need_posted`` (``kind``: "patents" or "needs") for each new
    record of ``ids``, after its commit; a failing subscriber is logged and never undoes it.

    Several records at once (an import's share) also send ``patents_listed`` or
    ``needs_posted`` with all of them, and each one's own signal says ``together=True``: a
    broker gets one notice for the lot, not one per record (a 3,000-row upload sent one
    broker 2,106 notices, QA stop 34)."""
    signal, key = (patent_listed, "patent_id") if kind == "patents" else (need_posted, "need_id")
    ids = list(ids)
    together = {"together": True} if len(ids) > 1 else {}
    app = current_app._get_current_object()
    for record_id in ids:
        try:
            signal.send(app, **{key: record_id}, **together)
        except Exception:
            db.session.rollback()
            log.exception("%s signal receivers failed for %s", kind, record_id)
    if together:
        lot, lot_key = (patents_listed, "patent_ids") if kind == "patents" else (needs_posted,
                                                                               "need_ids")
        try:
            lot.send(app, **{lot_key: ids})
        except Exception:
            db.session.rollback()
            log.exception("%s receivers failed for %d records", kind, len(ids))
