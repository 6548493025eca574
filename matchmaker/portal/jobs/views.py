"""Job pages: /admin/jobs for administrators, /jobs for one's own, a JSON status to poll."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...labels import verdict_label
from ...reasons import listing, render
from ...records import Job, JobStatus, Role
from ...security.params import page_number
from ...services.job_errors import error_detail, error_message
from ...services.jobs import jobs_by_id, jobs_query
from ..auth.session import roles_required
from ..paging import paginate
from . import bp

TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def _page(stmt):
    return paginate(stmt, page=page_number(request.args),
                    per_page=current_app.config["PAGE_SIZE"])


def _own(job_id: int) -> Job:
    """The job if the current user may see it (its creator or an administrator), else 404."""
    job = db.session.get(Job, job_id)
    if job is None or (current_user.role is not Role.ADMIN
                       and job.created_by_id != current_user.id):
        abort(404)
    return job


def status_label(status: JobStatus) -> str:
    """The status as people read it."""
    return {
        JobStatus.QUEUED: _("Queued"),
        JobStatus.RUNNING: _("Running"),
        JobStatus.SUCCEEDED: _("Succeeded"),
        JobStatus.FAILED: _("Failed"),
    }[status]


def kind_label(kind: str) -> str:
    """A job kind as people read it (the code itself for a kind without a label)."""
    labels = {
        "import_patents": _("Patent import"),
        "import_needs": _("Needs import"),
        "index_imported": _("Indexing and matching imported records"),
        "batch_match": _("Batch matching"),
        "build_index": _("Index build"),
        "match_need": _("Matching a need"),
        "match_patent": _("Matching a patent"),
        "alert_need_posted": _("Alerts for a new need"),
        "alert_needs_posted": _("Alerts for new needs"),
        "alert_patent_listed": _("Alerts for a new patent"),
        "alert_patents_listed": _("Alerts for new patents"),
        "mail": _("E-mail"),
        "booklet": _("Booklet PDF"),
        "compact_index": _("Index compaction"),
        "train_reranker": _("Reranker training"),
        "teach_rejection": _("Learning from a rejection"),
    }
    return labels.get(kind, kind)


#: result keys for the page's own use, not shown (a booklet job's file name)
UNSHOWN = {"file"}


def result_items(result: dict) -> list[tuple[str, str]]:
    """A job's result as (label, value) in the reader's language; nested reports left out.

    Jobs store language-neutral results (keys, numbers, codes, reasons as msgids), so the
    words are chosen here, for whoever reads the page.
    """
    labels = {
        "stored": _("Candidates stored"), "warnings": _("Warnings"),
        "notifications": _("Notifications"), "sent": _("E-mails sent"),
        "demoted": _("Look-alike pairs lowered"), "path": _("File"), "bytes": _("Size (bytes)"),
        "seconds": _("Seconds"), "analyze_seconds": _("Statistics refresh (s)"),
        "encoders": _("Encoders"), "version": _("Model version"), "activate": _("Activated"),
        "reason": _("Reason"), "needs": _("Needs"), "patents": _("Patents"),
        "created": _("New candidates"), "refreshed": _("Refreshed candidates"),
        "records": _("Records"), "announced": _("New records announced"),
        "rendered": _("Laid out now"),
    }
    items = []
    for key, value in result.items():
        if key in UNSHOWN:
            continue
        if isinstance(value, dict) and "msgid" not in value:
            continue
        if isinstance(value, list | tuple) and not value:  # no warnings: no empty line
            continue
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif isinstance(value, list | tuple):
            text = listing(value)
        else:
            text = verdict_label(value) if isinstance(value, str) else render(value)
        items.append((labels.get(key, key), text))
    return items


@bp.app_context_processor
def job_helpers() -> dict:
    return {"job_status_label": status_label, "job_kind_label": kind_label,
            "job_error": error_message, "job_error_detail": error_detail,
            "job_result_items": result_items, "job_follow_up": follow_up_jobs,
            "job_made_file": made_file}


@bp.route("/admin/jobs")
@roles_required(Role.ADMIN)
def admin_list():
    """Every job, newest first, with a status filter."""
    raw = request.args.get("status", "")
    status = next((s for s in JobStatus if s.value == raw), None)
    page = _page(jobs_query(status=status))
    return render_template("jobs/list.html", page=page, status=status, statuses=list(JobStatus),
                           endpoint="jobs.admin_list", title=_("Background jobs"))


@bp.route("/jobs/")
@login_required
def mine():
    """The current user's own jobs."""
    page = _page(jobs_query(user=current_user))
    return render_template("jobs/list.html", page=page, status=None, statuses=[],
                           endpoint="jobs.mine", title=_("My background jobs"))


@bp.route("/jobs/<int:job_id>")
@login_required
def detail(job_id: int):
    """One job: status, progress, error and, for an import, the per-row report.

    ``?open=1`` (where a click on a booklet leads): a booklet made already opens at once."""
    job = _own(job_id)
    made = made_file(job)
    if made and request.args.get("open") and job.status is JobStatus.SUCCEEDED:
        return redirect(made)
    return render_template("jobs/detail.html", job=job, terminal=job.status in TERMINAL,
                           note=progress_note(job))


@bp.route("/jobs/<int:job_id>/status")
@login_required
def status(job_id: int):
    """The job's state as JSON, polled by static/js/job-progress.js."""
    job = _own(job_id)
    return jsonify({
        "id": job.id,
        "status": job.status.value,
        "status_label": status_label(job.status),
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "note": progress_note(job),
        "error": error_message(job),
        "finished": job.status in TERMINAL,
        "url": url_for("jobs.detail", job_id=job.id),
    })


def made_file(job: Job) -> str | None:
    """Where to open what a finished job made for its reader (a booklet's PDF), else None."""
    event_id = (job.params or {}).get("event_id") if job.kind == "booklet" else None
    return url_for("events.booklet_download", event_id=event_id, job=job.id) if event_id else None


IMPORTS = ("import_patents", "import_needs")


def progress_note(job) -> str | None:
    """What a running import does once every row is saved: it refreshes the database's
    statistics and queues the follow-up jobs that index, match and announce the new records
    (each with its own progress), with the bar at 100 %."""
    if (job.kind in IMPORTS and job.status not in TERMINAL and job.progress_total
            and job.progress_done >= job.progress_total):
        return _("Every row is saved; the jobs that index and match the new records are "
                 "being queued.")
    return None


def follow_up_jobs(result: dict) -> list[Job]:
    """An import's follow-up jobs (``index_imported``), for its report."""
    return jobs_by_id([i for i in (result or {}).get("follow_up") or [] if isinstance(i, int)])
