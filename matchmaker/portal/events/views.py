"""Release events: list, detail, create/edit, registration. Programme and follow-up pages live
in ``programme.py`` and ``followup.py`` on the same blueprint."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...booklet.cache import forget_event
from ...errors import PermissionDenied, ValidationError
from ...extensions import db
from ...records import EventStatus, Organization, ReleaseEvent, Role
from ...security.params import page_number
from ...services import events as svc
from ...services.kpis import region_kpis
from ..auth.session import roles_required
from ..paging import paginate
from .forms import ActionForm, EventForm, OrganizationPickForm

bp = Blueprint("events", __name__)
MANAGERS = (Role.ADMIN, Role.BROKER)


def load(event_id: int) -> ReleaseEvent:
    """The event if the current user may see it (NotFound otherwise, never a hint)."""
    return svc.get_event(event_id, current_user)


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on its field, or as a message when no field fits."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


@bp.app_context_processor
def kpi_global():
    """``region_kpis()`` in every template, computed at most once per request and only if used."""

    def lazy():
        if "events_region_kpis" not in g:
            g.events_region_kpis = region_kpis()
        return g.events_region_kpis

    return {"region_kpis": lazy}


@bp.get("/")
@login_required
def index():
    raw = request.args.get("status") or ""
    status = EventStatus(raw) if raw in {s.value for s in EventStatus} else None
    page = paginate(
        svc.visible_events(current_user, status),
        page=page_number(request.args),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "events/index.html",
        page=page,
        status=raw,
        statuses=list(EventStatus),
        can_manage=svc.can_manage(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = svc.save_event(None, actor=current_user, **_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("Event created. Now pick the patents to release."), "success")
            return redirect(url_for("events.programme", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(event_id: int):
    event = load(event_id)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.target_regions.data = svc.split_list(event.target_regions)
        form.status.data = EventStatus(event.status).value
    if form.validate_on_submit():
        try:
            svc.save_event(event, actor=current_user, **_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


def _values(form: EventForm) -> dict:
    return {
        "number": form.number.data,
        "name": form.name.data,
        "held_on": form.held_on.data,
        "venue": form.venue.data,
        "theme": form.theme.data,
        "target_industries": form.target_industries.data,
        "target_regions": list(form.target_regions.data or []),
        "status": form.status.data,
    }


@bp.post("/<int:event_id>/delete")
@roles_required(Role.ADMIN)
def delete(event_id: int):
    """Delete an event created by mistake (one held or with registrations is refused)."""
    event = load(event_id)
    if not ActionForm().validate():
        abort(400)
    try:
        svc.delete_event(event, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("events.detail", event_id=event_id))
    db.session.commit()
    forget_event(current_app.instance_path, event_id)  # on SQLite the next event may take its id
    flash(_("The event was deleted."), "success")
    return redirect(url_for("events.index"))


@bp.get("/<int:event_id>")
@login_required
def detail(event_id: int):
    event = load(event_id)
    manager = svc.can_manage(current_user)
    own_org = current_user.organization_id if current_user.role is Role.ENTERPRISE else None
    return render_template(
        "events/detail.html",
        event=event,
        manager=manager,
        listings=sorted(event.listings, key=lambda item: (item.position, item.id)),
        registered=svc.is_registered(event, own_org),
        can_self_register=own_org is not None and svc.registration_open(event),
        registration_open=svc.registration_open(event),
        action=ActionForm(),
    )


@bp.post("/<int:event_id>/register")
@login_required
def register(event_id: int):
    event = load(event_id)
    back = url_for(_back_endpoint(), event_id=event.id)
    if current_user.role is Role.ENTERPRISE:
        form = ActionForm()
        org_id = current_user.organization_id
    elif current_user.role in MANAGERS:
        form = OrganizationPickForm()
        form.organization_id.choices = [(o.id, o.name) for o in svc.registrable_enterprises(event)]
        org_id = form.organization_id.data
    else:
        raise PermissionDenied(_("Only enterprises, brokers and administrators register."))
    if not form.validate_on_submit():
        flash(_("Choose an enterprise that is not registered yet."), "danger")
        return redirect(back)
    organization = db.session.get(Organization, org_id) if org_id else None
    if organization is None:
        raise PermissionDenied(_("You can only register your own organization."))
    try:
        svc.register(event, organization, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("%(org)s is registered.", org=organization.name), "success")
    return redirect(back)


@bp.post("/<int:event_id>/unregister/<int:organization_id>")
@login_required
def unregister(event_id: int, organization_id: int):
    event = load(event_id)  # CSRFProtect has already checked the token of every POST
    try:
        svc.unregister(event, organization_id, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The registration was withdrawn."), "success")
    return redirect(url_for(_back_endpoint(), event_id=event.id))


def _back_endpoint() -> str:
    """Brokers return to the invitations page, enterprises to the event."""
    return "events.invite" if current_user.role in MANAGERS else "events.detail"


from . import followup, programme  # noqa: E402,F401  (their routes join this blueprint)
