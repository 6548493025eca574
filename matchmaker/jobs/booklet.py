"""The booklet job: render a release event's PDF booklet into the instance folder."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from ..booklet import booklet_pdf
from ..errors import NotFound
from ..extensions import db
from ..reasons import reason
from ..records import ReleaseEvent
from .registry import JobContext, job


def booklet_path(event_id: int) -> Path:
    """Where the rendered booklet of event ``event_id`` is kept."""
    return Path(current_app.instance_path) / "booklets" / f"event-{event_id}.pdf"


@job("booklet", interactive=True)
def booklet(params: dict, ctx: JobContext) -> dict:
    """Render the booklet; written to a temporary name first, so a reader never sees half."""
    event = db.session.get(ReleaseEvent, params["event_id"])
    if event is None:
        raise NotFound(reason("Release event %(id)s does not exist", id=params["event_id"]))
    pdf = booklet_pdf(event, current_app.config)
    path = booklet_path(event.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(pdf)
    os.replace(partial, path)
    return {"path": str(path), "bytes": len(pdf)}
