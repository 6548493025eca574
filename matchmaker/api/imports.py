"""Bulk import as an asynchronous job: POST the file, then poll the job for its report."""

from __future__ import annotations

import io
import logging
from typing import Literal

from flask import current_app, request
from pydantic import BaseModel, Field

from ..errors import MatchmakerError
from ..extensions import db
from ..records import ImportJob, Role, utcnow
from ..signals import import_finished
from . import bp, spec, user
from .common import get_or_404, idempotent, json_response
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import PlainText, Strict

log = logging.getLogger(__name__)
TAGS = ["imports"]
WHO = {"patents": (Role.ADMIN, Role.UNIVERSITY), "needs": (Role.ADMIN, Role.ENTERPRISE)}
AFTER_RESPONSE = "matchmaker.after_response"
REPORT_ERRORS = 1000  # row errors kept in the job's report


class ImportQuery(Strict):
    filename: PlainText = Field(min_length=1, max_length=200,
                                description="decides the format: .csv, .tsv, .xlsx, .jsonl")


class RowErrorOut(BaseModel):
    row: int
    field: str | None
    column: str | None
    reason: str


class ImportReport(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowErrorOut]
    warnings: list[str]


class ImportJobOut(BaseModel):
    id: int
    kind: Literal["patents", "needs"]
    filename: str
    status: Literal["queued", "running", "finished", "failed"]
    created_at: str
    started_at: str | None
    finished_at: str | None
    report: ImportReport | None
    error: str | None


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def job_out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(id=job.id, kind=job.kind, filename=job.filename, status=job.status,
                        created_at=_iso(job.created_at), started_at=_iso(job.started_at),
                        finished_at=_iso(job.finished_at),
                        report=ImportReport(**job.report) if job.report else None,
                        error=job.error)


@bp.post("/imports/<any(patents, needs):kind>")
@spec.validate(query=ImportQuery, resp=responses({202: ImportJobOut}), tags=TAGS)
@idempotent
def create_import(kind: str):
    """Upload a file (the raw body) to import; answers 202 with the job to poll."""
    actor = user()
    if actor.role not in WHO[kind]:
        raise ApiProblem(403, f"You may not import {kind}.")
    content = request.get_data(cache=False)
    if not content:
        raise ApiProblem(422, "Send the file as the request body.",
                         errors=[{"field": "body", "message": "empty"}])
    job = ImportJob(kind=kind, filename=request.context.query.filename, content=content,
                    actor_id=actor.id)
    db.session.add(job)
    db.session.commit()
    response = json_response(job_out(job), status=202,
                             headers={"Location": f"/api/v1/imports/{job.id}"})
    _start(job.id)
    return response


@bp.get("/imports/<int:job_id>")
@spec.validate(resp=responses({200: ImportJobOut}, 404), tags=TAGS)
def get_import(job_id: int):
    """The job's status and, once finished, its per-row report."""
    job = get_or_404(ImportJob, job_id, "import")
    actor = user()
    if job.actor_id != actor.id and actor.role is not Role.ADMIN:
        raise ApiProblem(404, "No such import.")
    return json_response(job_out(job))


def _start(job_id: int) -> None:
    """Run the job once the response is sent. The lead replaces this with a Celery task."""
    app = current_app._get_current_object()

    def run_later():
        with app.app_context():
            try:
                run_import(job_id)
            except Exception:
                log.exception("import job %s failed to run", job_id)

    request.environ.setdefault(AFTER_RESPONSE, []).append(run_later)


def run_after_response(response):
    """``after_request`` of the API: run queued work once the server has sent the answer."""
    for work in request.environ.pop(AFTER_RESPONSE, []):
        response.call_on_close(work)
    return response


def run_import(job_id: int) -> str:
    """Run one queued import job to its end; returns the final status. Idempotent."""
    from ..ingest import import_needs, import_patents
    from ..records import User

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status in ("finished", "failed"):
        return job.status if job else "missing"
    job.status, job.started_at = "running", utcnow()
    db.session.commit()
    actor = db.session.get(User, job.actor_id)
    run = import_patents if job.kind == "patents" else import_needs
    try:
        result = run(io.BytesIO(job.content or b""), job.filename, actor=actor)
    except MatchmakerError as exc:
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.status, job.error = "failed", str(exc)[:2000]
    except Exception:
        db.session.rollback()
        log.exception("import job %s crashed", job_id)
        job = db.session.get(ImportJob, job_id)
        job.status, job.error = "failed", "The import stopped on an unexpected error."
    else:
        job = db.session.get(ImportJob, job_id)
        job.status = "finished"
        job.report = {
            "rows": result.rows, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "failed": result.failed,
            "errors": [{"row": e.row, "field": e.field, "column": e.column, "reason": e.reason}
                       for e in result.errors[:REPORT_ERRORS]],
            "warnings": list(result.warnings),
        }
    job.finished_at, job.content = utcnow(), None
    db.session.commit()
    try:
        import_finished.send(current_app._get_current_object(), job_id=job.id,
                             actor_id=job.actor_id)
    except Exception:
        log.exception("import_finished receivers failed for job %s", job_id)
    return job.status
