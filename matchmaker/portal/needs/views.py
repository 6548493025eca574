"""Needs pages: list, search, detail, create/edit/close, export and "find matches now"."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db
from ...labels import choices
from ...records import (
    Confidentiality,
    CooperationMode,
    Match,
    Need,
    NeedStatus,
    Organization,
    OrgKind,
    Role,
    User,
)
from ...regions import LEAGUES
from ...security import throttle
from ...security.params import page_number
from ...services import access, exports, need_progress, records
from .. import edit_conflicts, find_now, search
from ..auth.session import roles_required
from ..list_export import export_list
from .filters import NeedFilters
from .forms import ConfirmForm, NeedForm, add_error, options

bp = Blueprint("needs", __name__)


def _viewable(need_id: int) -> Need:
    need = db.session.get(Need, need_id) or abort(404)
    if not access.can_view_need(db.session, current_user, need):
        abort(403)
    return need


def _editable(need_id: int) -> Need:
    need = db.session.get(Need, need_id) or abort(404)
    if not access.can_edit_need(current_user, need):
        abort(403)
    return need


@bp.get("/")
@login_required
@throttle.semantic_search
def index():
    """The needs the user may see, filtered, searched (text or semantic) and paginated."""
    filters = NeedFilters.from_args(request.args)
    page, search_info = search.results(filters, current_user, page_number(request.args))
    return render_template(
        "needs/index.html", page=page, filters=filters, search=search_info, leagues=LEAGUES,
        progress=_own_progress(page.items),
        shows_owner=partial(access.shows_need_owner, current_user),
        statuses=choices(NeedStatus), modes=choices(CooperationMode),
        visibilities=choices(Confidentiality),
        can_create=current_user.role in (Role.ADMIN, Role.ENTERPRISE),
    )


def _own_progress(items) -> dict | None:
    """For an enterprise: each of its own needs' progress, as its need page states it."""
    if current_user.role is not Role.ENTERPRISE:
        return None
    return need_progress.progress_of(
        need.id for need, _score in items if need.enterprise_id == current_user.organization_id)


@bp.get("/export.<fmt>")
@login_required
@throttle.expensive
def export(fmt: str):
    """The current filtered list as CSV (with BOM) or XLSX, formula cells escaped."""
    return export_list("needs", NeedFilters.from_args(request.args), fmt, exports.need_table)


@bp.get("/<int:need_id>")
@login_required
def detail(need_id: int):
    """One need with its visible matches; contacts only for those allowed."""
    need = _viewable(need_id)
    matches = db.session.scalars(
        access.visible_matches(current_user)
        .where(Match.need_id == need.id)
        .order_by(Match.score.desc())
        .limit(50)
    ).all()
    return render_template(
        "needs/detail.html",
        need=need,
        matches=matches,
        party=access.is_party(current_user),
        shows_owner=access.shows_need_owner(current_user, need),
        progress=need_progress.progress_of([need.id])[need.id]
        if current_user.role is Role.ENTERPRISE else None,
        being_matched=current_user.role is Role.ENTERPRISE
        and need_progress.being_matched(need.id),
        contacts=access.can_see_contacts(current_user)
        or current_user.organization_id == need.enterprise_id,
        can_edit=access.can_edit_need(current_user, need),
        can_match=current_user.role in (Role.ADMIN, Role.BROKER),
        confirm=ConfirmForm(),
    )


@bp.get("/<int:need_id>/progress")
@roles_required(Role.ENTERPRISE)
def progress(need_id: int):
    """The need page's progress as JSON, which the page polls while the need is being matched
    (``static/js/need-progress.js``) and reloads once that ends or candidates appear."""
    need = _viewable(need_id)
    return jsonify(stage=need_progress.progress_of([need.id])[need.id].stage,
                   being_matched=need_progress.being_matched(need.id))


def _prepare(form: NeedForm) -> None:
    """Administrators pick the enterprise and broker; others post for their own enterprise."""
    if current_user.role is not Role.ADMIN:
        del form.enterprise
        del form.broker
        return
    enterprises = db.session.scalars(
        select(Organization).where(Organization.kind == OrgKind.ENTERPRISE)
        .order_by(Organization.name)).all()
    form.enterprise.choices = options([("", _("(choose)"))] + [(o.id, o.name) for o in enterprises])
    brokers = db.session.scalars(
        select(User).where(User.role == Role.BROKER, User.active.is_(True))
        .order_by(User.display_name)).all()
    form.broker.choices = options([("", _("(none)"))] + [(u.id, u.display_name) for u in brokers])


def _values(form: NeedForm, need: Need | None) -> dict:
    values = form.values()
    if current_user.role is Role.ADMIN:
        values["enterprise"] = db.session.get(Organization, form.enterprise.data or 0)
        values["broker"] = db.session.get(User, form.broker.data) if form.broker.data else None
    else:
        values["enterprise"] = need.enterprise if need else current_user.organization
    return values


def _flash_saved(saved: records.Saved) -> None:
    flash(_("Saved.") if saved.changed else _("Nothing changed."), "success")
    if saved.stored_matches and current_user.role in (Role.ADMIN, Role.BROKER):
        flash(ngettext("%(n)d candidate patent is in the review queue.",
                       "%(n)d candidate patents are in the review queue.",
                       saved.stored_matches, n=saved.stored_matches),
              "info")
    for warning in saved.warnings:
        flash(warning, "warning")


def _form_data(need: Need) -> dict:
    return {
        "enterprise": need.enterprise_id,
        "broker": need.broker_id,
        "title": need.title,
        "description": need.description,
        "technical_field": need.technical_field,
        "keywords": ", ".join(need.keywords or []),
        "budget_min": need.budget_min,
        "budget_max": need.budget_max,
        "cooperation_mode": need.cooperation_mode.value,
        "deadline": need.deadline,
        "region_league": need.region_league or "",
        "region_county": need.region_county,
        "confidentiality": need.confidentiality.value,
        "external_ref": need.external_ref,
    }


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ENTERPRISE)
def create():
    """Post a need: enterprises for themselves, administrators for a chosen enterprise."""
    if current_user.role is Role.ENTERPRISE and current_user.organization is None:
        abort(403)
    org = current_user.organization
    defaults = {"region_league": org.region_league, "region_county": org.region_county} if (
        org is not None and current_user.role is Role.ENTERPRISE) else {}
    form = NeedForm(data=defaults, is_new=True)
    _prepare(form)
    if form.validate_on_submit():
        try:
            saved = records.create_need(_values(form, None), actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            if not add_error(form, exc):
                flash(str(exc), "danger")
        else:
            _flash_saved(saved)
            _flash_routing(saved.record)
            return redirect(url_for("needs.detail", need_id=saved.record.id))
    return render_template("needs/form.html", form=form, need=None)


def _flash_routing(need: Need) -> None:
    """Tell who will see a brokers-only need (routed when it was posted, see services.alerts)."""
    if need.confidentiality is not Confidentiality.BROKERS:
        return
    db.session.refresh(need)
    if need.broker is not None:
        flash(_("Only %(name)s, the broker covering this need, and the administrators see it.",
                name=need.broker.display_name), "info")
    else:
        flash(_("No broker covers this need yet: an administrator will assign one."), "info")


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id: int):
    """Change a need (its enterprise or an administrator)."""
    need = _editable(need_id)
    stored = _form_data(need)
    form = NeedForm(data=stored, is_new=False)
    _prepare(form)
    if request.method == "GET":
        form.seen.data = edit_conflicts.fingerprint(stored)
    if form.validate_on_submit() and edit_conflicts.reconcile(form, stored):
        try:
            saved = records.update_need(need, _values(form, need), actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            if not add_error(form, exc):
                flash(str(exc), "danger")
        else:
            _flash_saved(saved)
            return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=need)


@bp.post("/<int:need_id>/status/<status>")
@login_required
def set_status(need_id: int, status: str):
    """Close or reopen a need."""
    need = _editable(need_id)
    if status not in (NeedStatus.OPEN.value, NeedStatus.CLOSED.value):
        abort(404)
    try:
        saved = records.set_need_status(need, NeedStatus(status), actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("needs.detail", need_id=need.id))
    flash(_("The need is closed.") if status == "closed" else _("The need is open again."),
          "success")
    for warning in saved.warnings:
        flash(warning, "warning")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.post("/<int:need_id>/delete")
@roles_required(Role.ADMIN)
def delete(need_id: int):
    """Remove a need and its unworked pairs (administrators only)."""
    need = db.session.get(Need, need_id) or abort(404)
    try:
        warnings = records.delete_need(need, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("needs.detail", need_id=need_id))
    flash(_("The need was deleted."), "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("needs.index"))


@bp.get("/<int:need_id>/matches")
@roles_required(Role.ADMIN, Role.BROKER)  # an internal page: channels, ranks, the queue
@throttle.expensive
def matches(need_id: int):
    """"Find matches now": the engine's ranked patents, limited to what the user may see."""
    need = _viewable(need_id)
    k = find_now.requested_k()
    rows, error = find_now.ranked_rows(find_now.NEED_TO_PATENTS, need, k)
    return render_template("needs/matches.html", need=need, rows=rows, error=error, k=k,
                           can_queue=True, confirm=ConfirmForm())


@bp.post("/<int:need_id>/matches/<int:patent_id>")
@roles_required(Role.ADMIN, Role.BROKER)
def queue(need_id: int, patent_id: int):
    """Add one engine candidate to the review queue as a manual pair."""
    need = _viewable(need_id)
    find_now.add_to_queue(find_now.NEED_TO_PATENTS, need, patent_id)
    return redirect(url_for("needs.matches", need_id=need.id))
