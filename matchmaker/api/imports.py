"""Bulk import as a background job: POST the file, then poll the job for its report.

The job is a ``records.Job`` of kind ``import_patents`` or ``import_needs`` (the portal's
uploads use the same kinds), so it shows in the owner's jobs list and runs on the workers.
"""

from __future__ import annotations

from typing import Literal

from flask import request
from pydantic import BaseModel, Field

from ..extensions import db
from ..ingest import ImportFileError
from ..ingest.readers import check_filename
from ..jobs.imports import save_bytes
from ..reasons import render
from ..records import Job, JobStatus, Role
from ..services import jobs
from ..services.job_errors import error_message
from . import bp, spec, user
from .common import idempotent, json_response
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import PlainText, Strict

TAGS = ["imports"]
WHO = {"patents": (Role.ADMIN, Role.UNIVERSITY), "needs": (Role.ADMIN, Role.ENTERPRISE)}
KINDS = {"import_patents": "patents", "import_needs": "needs"}  # job kind -> API kind
STATUS = {JobStatus.QUEUED: "queued", JobStatus.RUNNING: "running",
          JobStatus.SUCCEEDED: "finished", JobStatus.FAILED: "failed"}


class ImportQuery(Strict):
    filename: PlainText = Field(min_length=1, max_length=200,
                                description="decides the format: .csv, .tsv, .xlsx, .xlsm, "
                                            ".jsonl or .ndjson; any other is refused (415)")


class RowErrorOut(BaseModel):
    row: int
    field: str | None
    column: str | None
    reason: str


class MatchingOut(BaseModel):
    status: Literal["queued", "running", "finished", "failed"] = Field(
        description="finished: every new or changed record is indexed, has its candidates "
                    "and was announced; failed: a follow-up job failed (its records wait for "
                    "the next batch run)")
    records: int = Field(description="new and changed records to index and match")
    records_done: int


class ImportReport(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowErrorOut]
    warnings: list[str]
    matching: MatchingOut | None = Field(
        default=None, description="the follow-up jobs that index, match and announce the new "
                                  "and changed records; null when nothing changed")


class ImportJobOut(BaseModel):
    id: int
    kind: Literal["patents", "needs"]
    filename: str
    status: Literal["queued", "running", "finished", "failed"]
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress_done: int = Field(description="rows read so far")
    progress_total: int | None = Field(description="rows in the file, once known")
    report: ImportReport | None
    error: str | None


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def _report(result: dict | None) -> ImportReport | None:
    if not result:
        return None
    errors = [RowErrorOut(row=e["row"], field=e.get("field"), column=e.get("column"),
                          reason=render(e["reason"])) for e in result.get("errors", [])]
    return ImportReport(rows=result["rows"], created=result["created"],
                        updated=result["updated"], unchanged=result["unchanged"],
                        failed=result["failed"], errors=errors,
                        warnings=[render(w) for w in result.get("warnings", [])],
                        matching=_matching(result.get("follow_up") or []))


def _matching(job_ids: list[int]) -> MatchingOut | None:
    """The follow-up jobs of an import, as one status and counter."""
    found = jobs.jobs_by_id(job_ids)
    if not found:
        return None
    records = sum(len((j.params or {}).get("ids") or []) for j in found)
    done = sum(len((j.params or {}).get("ids") or []) if j.status is JobStatus.SUCCEEDED
               else min(j.progress_done or 0, len((j.params or {}).get("ids") or []))
               for j in found)
    statuses = {j.status for j in found}
    if JobStatus.FAILED in statuses:
        status = "failed"
    elif statuses == {JobStatus.SUCCEEDED}:
        status = "finished"
    elif statuses == {JobStatus.QUEUED}:
        status = "queued"
    else:
        status = "running"
    return MatchingOut(status=status, records=records, records_done=done)


def job_out(job: Job) -> ImportJobOut:
    return ImportJobOut(id=job.id, kind=KINDS[job.kind], filename=job.params["filename"],
                        status=STATUS[job.status], created_at=_iso(job.created_at),
                        started_at=_iso(job.started_at), finished_at=_iso(job.finished_at),
                        progress_done=job.progress_done, progress_total=job.progress_total,
                        report=_report(job.result) if job.status is JobStatus.SUCCEEDED else None,
                        error=error_message(job) if job.status is JobStatus.FAILED else None)


@bp.post("/imports/<any(patents, needs):kind>")
@spec.validate(query=ImportQuery, resp=responses({202: ImportJobOut}), tags=TAGS)
@idempotent
def create_import(kind: str):
    """Upload a file (the raw body) to import; answers 202 with the job to poll."""
    actor = user()
    if actor.role not in WHO[kind]:
        raise ApiProblem(403, f"You may not import {kind}.")
    filename = request.context.query.filename
    try:  # refused now, as the upload page does, not by a job that fails later
        check_filename(filename)
    except ImportFileError as exc:
        raise ApiProblem(415, str(exc), errors=[{"field": "filename", "message": str(exc)}],
                         kind="unsupported-file-type") from exc
    content = request.get_data(cache=False)
    if not content:
        raise ApiProblem(422, "Send the file as the request body.",
                         errors=[{"field": "body", "message": "empty"}])
    path = save_bytes(content, filename)
    # The message goes once the answer is sent: even eager jobs never import in the request.
    job = jobs.submit(f"import_{kind}", {"path": str(path), "filename": filename,
                                         "actor_id": actor.id}, user=actor, after_response=True)
    return json_response(job_out(job), status=202,
                         headers={"Location": f"/api/v1/imports/{job.id}"})


@bp.get("/imports/<int:job_id>")
@spec.validate(resp=responses({200: ImportJobOut}, 404), tags=TAGS)
def get_import(job_id: int):
    """The job's status and, once finished, its per-row report."""
    job = db.session.get(Job, job_id)
    actor = user()
    if (job is None or job.kind not in KINDS
            or (job.created_by_id != actor.id and actor.role is not Role.ADMIN)):
        raise ApiProblem(404, "No such import.")
    return json_response(job_out(job))
