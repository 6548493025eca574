"""``GET /quality/``: how good the ranking is, from stored evaluations and broker decisions."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...labels import label
from ...learning import quality
from ...learning.activation import state
from ...learning.schedule import labelled_decisions
from ...records import RejectionReason, Role
from ...services import jobs
from ..admin.forms import ConfirmForm
from ..auth.session import roles_required

bp = Blueprint("quality", __name__)


@bp.get("/")
@roles_required(Role.ADMIN, Role.BROKER)
def index():
    """The quality page for admins and brokers."""
    data = quality.overview(current_app.config.get("EVALUATION_DIR"))
    admin = current_user.role is Role.ADMIN
    reranker = state(current_app.config["INDEX_DIR"])

    def percent(rates, empty=""):
        return [(r.name or empty, round(100 * r.rate, 1)) for r in rates]

    return render_template(
        "quality/index.html",
        data=data,
        reranker=reranker,
        reason_labels={r: label_or(r) for r in data.reasons},
        week_chart=[(w[5:], v) for w, v in percent(data.by_week)],
        band_chart=percent(data.by_band),
        field_chart=percent(data.by_field, _("Not given")),
        broker_chart=percent(data.by_broker, _("Unassigned")),
        conversion_chart=percent(data.conversion),
        calibration_model=quality.calibration_manifest(current_app.config.get("CALIBRATION_FILE")),
        train_form=ConfirmForm() if admin else None,
        train_shortfall=training_shortfall() if admin else None,
    )


@bp.post("/train")
@roles_required(Role.ADMIN)
def train():
    """Queue a training of the reranker (job ``train_reranker``); admins only."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return redirect(url_for(".index"))
    shortfall = training_shortfall()
    if shortfall:  # the job would only fail with NotEnoughDecisions
        flash(shortfall, "warning")
        return redirect(url_for(".index"))
    job = jobs.submit("train_reranker", user=current_user, after_response=True)
    flash(_("Training queued: the new model becomes active only if it beats the current "
            "ranking."), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


def training_shortfall() -> str | None:
    """Why the reranker cannot be trained yet (fewer labelled decisions than
    ``RERANK_MIN_DECISIONS``), or None when it can."""
    needed = current_app.config["RERANK_MIN_DECISIONS"]
    have = labelled_decisions()
    if have >= needed:
        return None
    return ngettext("%(num)d labelled decision so far; %(needed)d are needed to train.",
                    "%(num)d labelled decisions so far; %(needed)d are needed to train.",
                    have, needed=needed)


def label_or(code: str) -> str:
    """A rejection reason's label (the stored code when it is not a known reason)."""
    try:
        return label(RejectionReason(code))
    except ValueError:
        return code
