"""``GET /quality/``: how good the ranking is, from stored evaluations and broker decisions."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from ...labels import label
from ...learning import quality
from ...learning.activation import state
from ...records import RejectionReason, Role
from ..auth.session import roles_required

bp = Blueprint("quality", __name__)


@bp.get("/")
@roles_required(Role.ADMIN, Role.BROKER)
def index():
    """The quality page for admins and brokers."""
    data = quality.overview(current_app.config.get("EVALUATION_DIR"))
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
    )


def label_or(code: str) -> str:
    """A rejection reason's label (the stored code when it is not a known reason)."""
    try:
        return label(RejectionReason(code))
    except ValueError:
        return code
