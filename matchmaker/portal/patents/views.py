"""Patents pages: list, search, detail, create/edit, bulk upload, export, "find matches now"."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
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
from ...jobs.imports import save_upload
from ...labels import choices
from ...records import LegalStatus, Match, MatchStatus, Organization, Patent, PatentType, Role
from ...regions import LEAGUES
from ...security import throttle
from ...security.params import page_number
from ...services import access, exports, jobs, records
from .. import edit_conflicts, find_now, search
from ..auth.session import roles_required
from ..errors import upload_limit_mb
from ..list_export import export_list
from ..needs.forms import ConfirmForm, add_error, options
from .filters import IPC_SECTIONS, PatentFilters
from .forms import PatentForm, UploadForm

bp = Blueprint("patents", __name__)
EDITORS = (Role.ADMIN, Role.UNIVERSITY)


def _viewable(patent_id: int) -> Patent:
    patent = db.session.get(Patent, patent_id) or abort(404)
    if not access.can_view_patent(db.session, current_user, patent):
        abort(403)
    return patent


def _editable(patent_id: int) -> Patent:
    patent = db.session.get(Patent, patent_id) or abort(404)
    if not access.can_edit_patent(current_user, patent):
        abort(403)
    return patent


def _own_org_only() -> None:
    """University users act for their own organization; naming another one is refused."""
    if current_user.role is not Role.UNIVERSITY:
        return
    if current_user.organization_id is None:
        abort(403)
    posted = request.form.get("owner")
    if posted not in (None, "", str(current_user.organization_id)):
        abort(403)


def _owner_choices(form) -> None:
    if current_user.role is not Role.ADMIN:
        del form.owner
        return
    orgs = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    form.owner.choices = options([("", _("(none)"))] + [(o.id, o.name) for o in orgs])


@bp.get("/")
@login_required
@throttle.semantic_search
def index():
    """The patents the user may see, filtered, searched (text or semantic) and paginated."""
    filters = PatentFilters.from_args(request.args)
    page, search_info = search.results(filters, current_user, page_number(request.args))
    return render_template(
        "patents/index.html", page=page, filters=filters, search=search_info, leagues=LEAGUES,
        statuses=choices(LegalStatus), kinds=choices(PatentType), sections=IPC_SECTIONS,
        can_create=current_user.role in EDITORS,
    )


@bp.get("/export.<fmt>")
@login_required
@throttle.expensive
def export(fmt: str):
    """The current filtered list as CSV (with BOM) or XLSX, formula cells escaped."""
    return export_list("patents", PatentFilters.from_args(request.args), fmt, exports.patent_table)


@bp.get("/<int:patent_id>")
@login_required
def detail(patent_id: int):
    """One patent with its visible matches; contacts only for those allowed."""
    patent = _viewable(patent_id)
    matches = db.session.scalars(
        access.visible_matches(current_user)
        .where(Match.patent_id == patent.id)
        .order_by(Match.score.desc())
        .limit(50)
    ).all()
    party = access.is_party(current_user)
    return render_template(
        "patents/detail.html",
        patent=patent,
        matches=matches,
        party=party,
        # the owner sees that candidates wait for a broker, not which needs they are
        in_review=party and not matches and _awaiting_review(patent.id),
        contacts=access.can_see_contacts(current_user)
        or (patent.owner_id is not None and current_user.organization_id == patent.owner_id),
        can_edit=access.can_edit_patent(current_user, patent),
        can_match=current_user.role in (Role.ADMIN, Role.BROKER),
        confirm=ConfirmForm(),
    )


def _awaiting_review(patent_id: int) -> bool:
    """Whether the engine stored candidate needs for the patent that no broker decided yet."""
    return db.session.scalar(select(Match.id).where(
        Match.patent_id == patent_id, Match.status == MatchStatus.CANDIDATE).limit(1)) is not None


def _values(form: PatentForm, patent: Patent | None) -> dict:
    values = form.values()
    if current_user.role is Role.ADMIN:
        values["owner"] = db.session.get(Organization, form.owner.data) if form.owner.data else None
    else:
        values["owner"] = patent.owner if patent else current_user.organization
    return values


def _flash_saved(saved: records.Saved) -> None:
    flash(_("Saved.") if saved.changed else _("Nothing changed."), "success")
    if saved.stored_matches and current_user.role in (Role.ADMIN, Role.BROKER):
        flash(ngettext("%(n)d candidate need is in the review queue.",
                       "%(n)d candidate needs are in the review queue.",
                       saved.stored_matches, n=saved.stored_matches), "info")
    for warning in saved.warnings:
        flash(warning, "warning")


def _form_data(patent: Patent) -> dict:
    data = {
        key: getattr(patent, key)
        for key in ("publication_number", "application_number", "title", "abstract", "claims",
                    "applicants", "inventors", "filing_date", "grant_date", "fee_due_date",
                    "technical_field", "asking_price", "dormant", "contact_note")
    }
    data.update(
        owner=patent.owner_id,
        patent_type=patent.patent_type.value,
        legal_status=patent.legal_status.value,
        ipc_codes="; ".join(patent.ipc_codes),
        licensing_modes=[m.value for m in patent.licensing_modes],
    )
    return data


def _save(form: PatentForm, patent: Patent | None):
    """Run the service for a valid form; a redirect on success, None to show the form again."""
    try:
        if patent is None:
            saved = records.create_patent(_values(form, None), actor=current_user)
        else:
            saved = records.update_patent(patent, _values(form, patent), actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        if not add_error(form, exc):
            flash(str(exc), "danger")
        return None
    _flash_saved(saved)
    return redirect(url_for("patents.detail", patent_id=saved.record.id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Add a patent: universities for their own organization, administrators for any."""
    _own_org_only()
    form = PatentForm()
    _owner_choices(form)
    if form.validate_on_submit() and (done := _save(form, None)) is not None:
        return done
    return render_template("patents/form.html", form=form, patent=None)


@bp.route("/<int:patent_id>/edit", methods=["GET", "POST"])
@login_required
def edit(patent_id: int):
    """Change a patent (its owner organization or an administrator)."""
    patent = _editable(patent_id)
    _own_org_only()
    stored = _form_data(patent)
    form = PatentForm(data=stored, patent_id=patent.id)
    _owner_choices(form)
    if request.method == "GET":
        form.seen.data = edit_conflicts.fingerprint(stored)
    if (form.validate_on_submit() and edit_conflicts.reconcile(form, stored)
            and (done := _save(form, patent)) is not None):
        return done
    return render_template("patents/form.html", form=form, patent=patent)


@bp.post("/<int:patent_id>/delete")
@roles_required(Role.ADMIN)
def delete(patent_id: int):
    """Remove a patent and its unworked pairs (administrators only)."""
    patent = db.session.get(Patent, patent_id) or abort(404)
    try:
        warnings = records.delete_patent(patent, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("patents.detail", patent_id=patent_id))
    flash(_("The patent was deleted."), "success")
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("patents.index"))


@bp.route("/upload", methods=["GET", "POST"])
@roles_required(*EDITORS)
def upload():
    """Bulk upload from CSV/XLSX/JSONL: the file is imported by a job whose page shows the
    progress and the per-row report."""
    _own_org_only()
    form = UploadForm()
    _owner_choices(form)
    if form.validate_on_submit():
        if current_user.role is Role.ADMIN:
            owner = db.session.get(Organization, form.owner.data) if form.owner.data else None
        else:
            owner = current_user.organization  # forced: a university lists its own patents
        filename = form.file.data.filename
        path = save_upload(form.file.data, filename)
        job = jobs.submit("import_patents", {
            "path": str(path), "filename": filename, "owner_id": owner.id if owner else None,
            "actor_id": current_user.id, "dry_run": bool(form.dry_run.data),
        }, user=current_user)
        return redirect(url_for("jobs.detail", job_id=job.id))
    # The size limit is named before the upload; a larger file comes back here (portal.errors).
    return render_template("patents/upload.html", form=form, limit_mb=upload_limit_mb())


@bp.get("/<int:patent_id>/matches")
@roles_required(Role.ADMIN, Role.BROKER)  # an internal page: channels, ranks, the queue
@throttle.expensive
def matches(patent_id: int):
    """"Find matches now": the engine's ranked needs, limited to what the user may see."""
    patent = _viewable(patent_id)
    k = find_now.requested_k()
    rows, error = find_now.ranked_rows(find_now.PATENT_TO_NEEDS, patent, k)
    return render_template("patents/matches.html", patent=patent, rows=rows, error=error, k=k,
                           can_queue=True, confirm=ConfirmForm())


@bp.post("/<int:patent_id>/matches/<int:need_id>")
@roles_required(Role.ADMIN, Role.BROKER)
def queue(patent_id: int, need_id: int):
    """Add one engine candidate to the review queue as a manual pair."""
    patent = _viewable(patent_id)
    find_now.add_to_queue(find_now.PATENT_TO_NEEDS, patent, need_id)
    return redirect(url_for("patents.matches", patent_id=patent.id))
