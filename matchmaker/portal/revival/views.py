"""The dormant-patent revival list: universities see their own, brokers and admins all."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from ...records import Role
from ...security.params import page_number
from ...services.revival import WARNING_DAYS, WEIGHTS, attach_patents, rank_dormant
from ..auth.session import roles_required
from .forms import RevivalFilterForm

bp = Blueprint("revival", __name__)


class _Page:
    """A page over an already ranked list (the ranking happens in Python, not in SQL); the
    rows of the page are built when sliced (``revival.Ranking``)."""

    def __init__(self, rows: list, page: int, per_page: int):
        self.total = len(rows)
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(1, page), self.pages)
        start = (self.page - 1) * per_page
        self.items = rows[start : start + per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.get("/")
@roles_required(Role.ADMIN, Role.BROKER, Role.UNIVERSITY)
def index():
    form = RevivalFilterForm(request.args)
    rows = rank_dormant(
        current_user,
        include_unrevivable=bool(form.everything.data),
        urgent_only=bool(form.urgent.data),
        max_age=current_app.config["REVIVAL_CACHE_SECONDS"],
    )
    page = _Page(rows, page_number(request.args), current_app.config["PAGE_SIZE"])
    attach_patents(page.items)
    args = {k: v for k, v in request.args.items() if k in ("urgent", "everything")}
    return render_template(
        "revival/index.html",
        page=page,
        form=form,
        urgent=rows.urgent,
        ranked_at=rows.ranked_at,
        weights=WEIGHTS,
        warning_days=WARNING_DAYS,
        args=args,
    )
