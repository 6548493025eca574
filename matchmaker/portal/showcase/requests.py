"""The brokers' side of the showcase: contact requests with their status."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...labels import choices
from ...records import ContactStatus, Role
from ...security.params import page_number
from ...services import showcase
from ..auth.session import roles_required
from ..paging import paginate
from . import bp
from .forms import StatusForm


@bp.get("/showcase/requests")
@roles_required(Role.ADMIN, Role.BROKER)
def requests():
    """Contact requests left on the showcase, newest first, by status."""
    status = request.args.get("status", "")
    page = paginate(showcase.contact_requests(status), page=page_number(request.args),
                    per_page=current_app.config["PAGE_SIZE"])
    return render_template("showcase/requests.html", page=page, status=status,
                           statuses=choices(ContactStatus), form=StatusForm())


@bp.post("/showcase/requests/<int:request_id>/status")
@roles_required(Role.ADMIN, Role.BROKER)
def request_status(request_id: int):
    """Mark a request as being followed up or done."""
    form = StatusForm()
    raw = request.form.get("status", "")
    if not form.validate_on_submit() or raw not in {s.value for s in ContactStatus}:
        flash(_("Choose a status."), "warning")
        return redirect(url_for("showcase.requests"))
    showcase.set_contact_status(request_id, ContactStatus(raw), current_user)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("showcase.requests", status=request.args.get("back", "")))
