"""``GET /dashboard/``: counts, deals and trends drawn as server-side SVG charts."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from ...labels import label
from ...records import MatchStatus, Role
from ...services import dashboard
from ..auth.session import roles_required

bp = Blueprint("dashboard", __name__)


def _funnel_label(status: MatchStatus) -> str:
    """A funnel stage counts every pair that got at least that far: say so on the label."""
    if status is MatchStatus.CANDIDATE:
        return _("All pairs")
    return _("%(stage)s or further", stage=label(status))


@bp.get("/")
@roles_required(Role.ADMIN, Role.BROKER)
def index():
    """Counts, deals and weekly trends for admins and brokers."""
    data = dashboard.cached_overview(current_app.config.get("DASHBOARD_CACHE_SECONDS", 60))
    week_labels = [start.strftime("%m-%d") for start in data.weeks]
    return render_template(
        "dashboard/index.html",
        data=data,
        stages_chart=[(label(s), n) for s, n in data.stages],
        funnel=[(_funnel_label(s), n) for s, n in dashboard.funnel(data.stages)],
        new_pairs=list(zip(week_labels, data.new_pairs, strict=True)),
        signed=list(zip(week_labels, data.signed_per_week, strict=True)),
        statuses=[s for s, _ in data.stages],
        fields_chart=[(row.name or _("Not given"), row.pairs) for row in data.fields],
        sections_chart=[(row.name, row.pairs) for row in data.sections],
    )
