"""A release event's PDF booklet for the portal: the one kept for its content, else a job.

The content is read on every request (milliseconds); the PDF is laid out by the ``booklet``
job (seconds) and kept under a key of everything it prints (:mod:`matchmaker.booklet.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select

from ..booklet import build_booklet, resolve_font
from ..booklet.cache import booklet_key, kept_file, stored_pdf
from ..booklet.content import public_base
from ..extensions import db
from ..records import Job, JobStatus, ReleaseEvent, User
from . import jobs

KIND = "booklet"
#: how many of a user's latest booklet jobs are looked through for one still to come
RECENT = 20


@dataclass(frozen=True)
class BookletPdf:
    """Either the kept file (``path``) or the job that is making it (``job_id``)."""

    path: Path | None = None
    job_id: int | None = None


def booklet_pdf_for(event: ReleaseEvent, user: User) -> BookletPdf:
    """The booklet of ``event`` as the current request would print it: the kept PDF when its
    content, language and layout are unchanged; else the job making it (one of ``user``'s
    still queued or running for the same event, language and address, or a new one)."""
    config = current_app.config
    locale = str(get_locale() or config.get("BABEL_DEFAULT_LOCALE", "zh_CN"))
    key = booklet_key(build_booklet(event, config), resolve_font(config), locale)
    path = stored_pdf(current_app.instance_path, event.id, locale, key)
    if path is not None:
        return BookletPdf(path=path)
    params = {"event_id": event.id, "locale": locale, "base": public_base(config)}
    pending = _pending(user, params)
    if pending is not None:
        return BookletPdf(job_id=pending)
    return BookletPdf(job_id=jobs.submit(KIND, params, user=user, after_response=True).id)


def made_by_job(event: ReleaseEvent, user: User, job_id: int | None) -> Path | None:
    """The PDF that ``user``'s finished booklet job ``job_id`` made of ``event``, or None.

    Where the job's page leads once the job is done: it opens what that job made even when
    this process keys the booklet otherwise (a worker running other code during a deploy, or
    a fact changed since the click), instead of queueing another job."""
    job = db.session.get(Job, job_id) if job_id else None
    if (job is None or job.kind != KIND or job.status is not JobStatus.SUCCEEDED
            or job.created_by_id != user.id or (job.params or {}).get("event_id") != event.id):
        return None
    return kept_file(current_app.instance_path, event.id, (job.result or {}).get("file"))


def _pending(user: User, params: dict) -> int | None:
    """The id of ``user``'s booklet job with these parameters that has not run yet."""
    recent = db.session.execute(
        select(Job.id, Job.params)
        .where(Job.kind == KIND, Job.created_by_id == user.id,
               Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .order_by(Job.id.desc()).limit(RECENT)
    )
    return next((job_id for job_id, held in recent if (held or {}) == params), None)
