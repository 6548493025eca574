"""Job pages: /admin/jobs for administrators, /jobs for one's own, a JSON status to poll."""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...records import Job, JobStatus, Role
from ...security.params import page_number
from ...services.jobs import jobs_query
from ..auth.session import roles_required
from . import bp

TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def _page(stmt):
    return db.paginate(stmt, page=page_number(request.args),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)


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
        "batch_match": _("Batch matching"),
        "build_index": _("Index build"),
        "match_need": _("Matching a need"),
        "match_patent": _("Matching a patent"),
        "alert_need_posted": _("Alerts for a new need"),
        "alert_patent_listed": _("Alerts for a new patent"),
        "mail": _("E-mail"),
        "booklet": _("Booklet PDF"),
        "compact_index": _("Index compaction"),
        "train_reranker": _("Reranker training"),
        "teach_rejection": _("Learning from a rejection"),
    }
    return labels.get(kind, kind)


@bp.app_context_processor
def job_helpers() -> dict:
    return {"job_status_label": status_label, "job_kind_label": kind_label}


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
    """One job: status, progress, error and, for an import, the per-row report."""
    job = _own(job_id)
    return render_template("jobs/detail.html", job=job, terminal=job.status in TERMINAL)


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
        "error": job.error,
        "finished": job.status in TERMINAL,
        "url": url_for("jobs.detail", job_id=job.id),
    })

