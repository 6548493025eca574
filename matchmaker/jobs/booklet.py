"""The booklet job: render a release event's PDF booklet into the instance folder.

The portal reads the booklet's content on every click and serves the PDF kept under its key
(:mod:`matchmaker.booklet.cache`); when none is kept it queues this job and shows its progress.
The job renders what the event says when it runs, in the language and with the public address
of the request that queued it.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from ..booklet import build_booklet, resolve_font
from ..booklet.cache import booklet_key, store_pdf, stored_pdf
from ..errors import NotFound
from ..extensions import db
from ..reasons import reason
from ..records import ReleaseEvent
from .registry import JobContext, job


@job("booklet", interactive=True)
def booklet(params: dict, ctx: JobContext) -> dict:
    """Render the booklet unless the same one is kept already; written whole or not at all."""
    event = db.session.get(ReleaseEvent, params["event_id"])
    if event is None:
        raise NotFound(reason("Release event %(id)s does not exist", id=params["event_id"]))
    config = dict(current_app.config)
    if params.get("base"):
        config["BASE_URL"] = params["base"]
    locale = params.get("locale") or config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    with force_locale(locale):
        content = build_booklet(event, config)
        font = resolve_font(config)
        key = booklet_key(content, font, locale)
        path = stored_pdf(current_app.instance_path, event.id, locale, key)
        rendered = path is None
        if rendered:
            from ..booklet.pdf import render_pdf  # fpdf2 only where a PDF is made

            path = store_pdf(current_app.instance_path, event.id, locale, key,
                             render_pdf(content, font))
    # "file": the page opens this one for whoever queued the job, whatever key a web worker
    # running other code would compute
    return {"patents": len(content.pages), "bytes": path.stat().st_size,
            "rendered": rendered, "file": path.name}
