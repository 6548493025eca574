"""Notifications: every user sees and marks only their own."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from ...extensions import db
from ...security.params import page_number
from ...services import notify
from ..paging import paginate
from .forms import MarkAllReadForm, MarkReadForm

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_global():
    """``unread_notifications()`` for the layout: one COUNT query, only when a template asks."""

    def lazy() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = notify.unread_count(current_user)
        return g.unread_notifications

    return {"unread_notifications": lazy}


@bp.get("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = paginate(
        notify.user_notifications(current_user, unread_only),
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "notifications/index.html",
        page=page,
        unread_only=unread_only,
        unread=notify.unread_count(current_user),
        form=MarkReadForm(),
        all_form=MarkAllReadForm(),
    )


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    note = notify.mark_read(current_user, notification_id)
    db.session.commit()
    link = note.link or ""
    if request.form.get("follow") and link.startswith("/") and not link.startswith("//"):
        return redirect(link)
    return redirect(url_for("notifications.index"))


@bp.post("/read")
@login_required
def mark_all_read():
    count = notify.mark_all_read(current_user)
    db.session.commit()
    flash(ngettext("%(n)d notification marked read.",
                   "%(n)d notifications marked read.", count, n=count), "success")
    return redirect(url_for("notifications.index"))
