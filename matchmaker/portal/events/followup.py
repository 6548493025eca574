"""After the programme: per-enterprise match lists, the booklet and the follow-up funnel."""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ...booklet import build_booklet
from ...records import Role
from ...security import throttle
from ...security.params import int_arg
from ...services.booklets import booklet_pdf_for, made_by_job
from ...services.event_suggestions import enterprise_match_lists
from ...services.funnel import event_funnel, funnel_csv
from ..auth.session import roles_required
from .views import bp, load

MANAGERS = (Role.ADMIN, Role.BROKER)


@bp.get("/<int:event_id>/matches")
@roles_required(*MANAGERS)
def matches(event_id: int):
    event = load(event_id)
    return render_template(
        "events/matches.html", event=event, lists=enterprise_match_lists(event, current_user)
    )


@bp.get("/<int:event_id>/booklet")
@login_required
def booklet(event_id: int):
    event = load(event_id)
    return render_template("booklet/booklet.html", booklet=build_booklet(event, current_app.config))


@bp.get("/<int:event_id>/booklet.pdf")
@login_required
@throttle.expensive
def booklet_download(event_id: int):
    """The PDF kept for the booklet's current content, else the page of the job making it
    (which opens the PDF once it is ready)."""
    event = load(event_id)
    path = made_by_job(event, current_user, int_arg(request.args, "job"))
    if path is None:
        pdf = booklet_pdf_for(event, current_user)
        if pdf.path is None:
            return redirect(url_for("jobs.detail", job_id=pdf.job_id, open=1))
        path = pdf.path
    return send_file(path, mimetype="application/pdf", download_name=f"booklet-{event.id}.pdf",
                     max_age=0)


@bp.get("/<int:event_id>/funnel")
@roles_required(*MANAGERS)
def funnel(event_id: int):
    event = load(event_id)
    return render_template(
        "events/funnel.html", event=event, funnel=event_funnel(event, current_user)
    )


@bp.get("/<int:event_id>/funnel.csv")
@roles_required(*MANAGERS)
@throttle.expensive
def funnel_export(event_id: int):
    event = load(event_id)
    body = funnel_csv(event_funnel(event, current_user))
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}-funnel.csv"'},
    )
