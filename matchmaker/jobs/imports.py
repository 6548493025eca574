"""The file import jobs: an upload saved in the instance folder, imported off the request path.

Portal uploads and the API's ``POST /api/v1/imports/<kind>`` both submit these kinds; when a
job ends (imported or failed) ``signals.import_finished`` is sent for its webhooks.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app
from werkzeug.utils import secure_filename

from ..extensions import db
from ..ingest import ImportFileError, ImportResult
from ..reasons import reason, stored
from ..records import Organization, User
from ..services import import_follow_up
from ..signals import import_finished
from .registry import JobContext, job

#: Row errors kept in a job's report; a file of bad rows must not make a huge JSON value.
REPORT_ERRORS = 1000


def save_upload(storage, filename: str) -> Path:
    """Store an uploaded file under ``instance/uploads`` with a name nobody can choose."""
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}-{secure_filename(Path(filename).stem)[:40]}{suffix}"
    storage.save(path)
    return path


def save_bytes(content: bytes, filename: str) -> Path:
    """Store a request body as an upload (see :func:`save_upload`)."""

    class _Body:
        def save(self, path: Path) -> None:
            path.write_bytes(content)

    return save_upload(_Body(), filename)


def _announce(ctx: JobContext, actor_id: int | None) -> None:
    """Send ``import_finished`` once the job's outcome (either one) is committed."""
    app, job_id = current_app._get_current_object(), ctx.job.id
    ctx.when_finished(lambda: import_finished.send(app, job_id=job_id, actor_id=actor_id))


def report(result: ImportResult, follow_up: list[int] | None = None) -> dict:
    """The per-row report of an import as plain JSON, with its follow-up jobs' ids."""
    return {
        "kind": result.kind, "filename": result.filename, "dry_run": result.dry_run,
        "rows": result.rows, "created": result.created, "updated": result.updated,
        "unchanged": result.unchanged, "failed": result.failed,
        "follow_up": list(follow_up or []),
        # Reasons stay msgids with parameters: each reader sees them in their own language.
        "warnings": [stored(w) for w in result.warnings],
        "errors": [{"row": e.row, "where": e.where, "field": e.field, "column": e.column,
                    "reason": stored(e.reason)}
                   for e in result.errors[:REPORT_ERRORS]],
        "errors_total": len(result.errors),
    }


@job("import_patents")
def import_patents(params: dict, ctx: JobContext) -> dict:
    """Import an uploaded patents file (committed in batches); queue the indexing, matching
    and announcing of the changed patents as follow-up jobs."""
    from ..ingest import import_patents as run

    _announce(ctx, params.get("actor_id"))  # a missing file is an outcome to hear about too
    path = _uploaded(params)
    ctx.when_finished(lambda: path.unlink(missing_ok=True))  # kept while a retry may come
    actor = db.session.get(User, params["actor_id"]) if params.get("actor_id") else None
    owner = db.session.get(Organization, params["owner_id"]) if params.get("owner_id") else None
    result = run(path, params["filename"], owner=owner, actor=actor,
                 dry_run=bool(params.get("dry_run")), progress=ctx.progress,
                 resumed_since=_resumed(ctx), follow_up=True)
    return report(result, import_follow_up.queue("patents", result.changed_ids,
                                                 result.created_ids, actor, ctx.job.id))


@job("import_needs")
def import_needs(params: dict, ctx: JobContext) -> dict:
    """Import an uploaded needs file (committed in batches), as the API's needs import; the
    changed needs are indexed, matched and announced by follow-up jobs."""
    from ..ingest import import_needs as run

    _announce(ctx, params.get("actor_id"))  # a missing file is an outcome to hear about too
    path = _uploaded(params)
    ctx.when_finished(lambda: path.unlink(missing_ok=True))  # kept while a retry may come
    actor = db.session.get(User, params["actor_id"]) if params.get("actor_id") else None
    result = run(path, params["filename"], actor=actor, dry_run=bool(params.get("dry_run")),
                 progress=ctx.progress, resumed_since=_resumed(ctx), follow_up=True)
    return report(result, import_follow_up.queue("needs", result.changed_ids,
                                                 result.created_ids, actor, ctx.job.id))


@job("index_imported")
def index_imported(params: dict, ctx: JobContext) -> dict:
    """Index, match and announce a share of an import's changed records (its own progress),
    then send the next share's job. A job a person waits for, queued meanwhile, gets the
    worker after the current step: the share hands the rest of its records on to the next
    share and sends it now, behind that job (``import_follow_up.hand_over``)."""
    chain = {"next": params.get("then")}
    ctx.when_finished(lambda: import_follow_up.send_next(chain["next"]))
    stored = ctx.job.created_at
    report = import_follow_up.run(
        params["kind"], params["ids"], params.get("created", []), ctx.progress,
        last=params.get("then") is None,
        yield_to=lambda: import_follow_up.someone_waits(stored))
    rest = report.pop("rest", None)
    if rest:
        chain["next"] = import_follow_up.hand_over(ctx.job, rest)
        report["handed_over"] = {"job": chain["next"], "records": len(rest)}
    return report


def _uploaded(params: dict) -> Path:
    path = Path(params["path"])
    if not path.is_file():
        raise ImportFileError(reason("The uploaded file is missing: %(name)s", name=path.name))
    return path


def _resumed(ctx: JobContext):
    """For a second or later attempt, when the job was queued: rows an earlier attempt committed
    before its worker died are this import's, although the file now leaves them unchanged."""
    return ctx.job.created_at if (ctx.job.attempts or 0) > 1 else None
