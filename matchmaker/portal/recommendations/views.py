"""What enterprises and universities see of the pipeline: recommended pairs, never contacts."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import ValidationError
from ...extensions import db
from ...records import Match, Role
from ...security.params import page_number
from ...services import access, pair_lists, pipeline
from ..auth.session import roles_required
from .forms import FeedbackForm

bp = Blueprint("recommendations", __name__)


def _render(page, failed: FeedbackForm | None = None, failed_id: int | None = None, status=200):
    forms = {}
    if current_user.role is Role.ENTERPRISE:
        for m in page.items:
            if failed is not None and m.id == failed_id:
                forms[m.id] = failed
            else:
                forms[m.id] = FeedbackForm(
                    m.id, formdata=None,
                    data={"feedback": m.enterprise_feedback.value if m.enterprise_feedback else None,
                          "reason": m.feedback_reason},
                )
    # Nothing to show: say whether that is because no need (patent) was posted yet.
    has_records = bool(page.total) or pair_lists.has_own_records(current_user)
    return render_template(
        "recommendations/index.html", page=page, forms=forms, has_records=has_records,
        party=access.is_party(current_user),
        shows_owner=partial(access.shows_need_owner, current_user),
    ), status


@bp.get("/")
@roles_required(*access.PARTIES)
def index():
    """Recommended pairs of the user's organization, grouped by need or by patent."""
    page_no = page_number(request.args)
    page = pair_lists.recommendations_page(current_user, page_no, current_app.config["PAGE_SIZE"])
    return _render(page)


@bp.post("/<int:match_id>/feedback")
@roles_required(Role.ENTERPRISE)
def feedback(match_id: int):
    """The enterprise's answer: interested, or not and why."""
    match = db.session.get(Match, match_id) or abort(404)
    if not access.can_view_match(db.session, current_user, match):
        abort(403)
    form = FeedbackForm(match_id)
    page_no = page_number(request.form)
    if form.validate():
        try:
            pipeline.record_feedback(match, current_user, form.feedback.data, form.reason.data)
        except ValidationError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            flash(_("Thank you, your answer was sent to the broker."), "success")
            return redirect(url_for("recommendations.index", page=page_no) + f"#m{match_id}")
    page = pair_lists.recommendations_page(current_user, page_no, current_app.config["PAGE_SIZE"])
    if match_id not in {m.id for m in page.items}:  # the card is on another page: say it here
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return _render(page, form, match_id, status=400)
