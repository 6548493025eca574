"""Preparing an event: the programme (listed patents, on stage, summaries) and invitations."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import ValidationError
from ...extensions import db
from ...records import Patent, Role
from ...security.params import int_arg
from ...services import events as svc
from ...services.event_suggestions import suggest_enterprises, suggest_patents
from ..auth.session import roles_required
from .forms import ActionForm, AddPatentForm, ListingForm, OrganizationPickForm
from .views import bp, load

MANAGERS = (Role.ADMIN, Role.BROKER)
SUGGESTIONS = 30


@bp.get("/<int:event_id>/programme")
@roles_required(*MANAGERS)
def programme(event_id: int):
    event = load(event_id)
    listings = sorted(event.listings, key=lambda item: (item.position, item.id))
    forms = {
        item.patent_id: ListingForm(
            prefix=f"l{item.patent_id}", on_stage=item.on_stage, summary=item.summary
        )
        for item in listings
    }
    return render_template(
        "events/programme.html",
        event=event,
        listings=listings,
        forms=forms,
        suggestions=suggest_patents(event, limit=SUGGESTIONS),
        add_form=AddPatentForm(),
        action=ActionForm(),
    )


@bp.post("/<int:event_id>/programme/add")
@roles_required(*MANAGERS)
def add_patent(event_id: int):
    event = load(event_id)
    form = AddPatentForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("Enter a publication number."), "publication_number")
        if (form.patent_id.data or "").strip():
            # a hidden field, yet anything may come back: an id beyond 64 bits would make the
            # driver raise (a 500), and it names no patent as much as "x" does
            patent_id = int_arg(request.form, "patent_id")
            patent = db.session.get(Patent, patent_id) if patent_id is not None else None
            if patent is None:
                raise ValidationError(_("No such patent."), "patent")
        elif form.publication_number.data:
            patent = svc.find_patent(form.publication_number.data)
        else:
            raise ValidationError(_("Enter a publication number."), "publication_number")
        svc.add_listing(event, patent, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("“%(title)s” added to the programme.", title=patent.title), "success")
    return redirect(url_for("events.programme", event_id=event.id))


@bp.post("/<int:event_id>/programme/<int:patent_id>")
@roles_required(*MANAGERS)
def save_listing(event_id: int, patent_id: int):
    event = load(event_id)
    form = ListingForm(prefix=f"l{patent_id}")
    try:
        if not form.validate_on_submit():
            errors = [e for field in form for e in field.errors]
            raise ValidationError("; ".join(map(str, errors)) or _("Check the form."), "summary")
        svc.set_on_stage(event, patent_id, form.on_stage.data, current_user)
        svc.set_summary(event, patent_id, form.summary.data, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Listing saved."), "success")
    return redirect(url_for("events.programme", event_id=event.id) + f"#listing-{patent_id}")


@bp.post("/<int:event_id>/programme/<int:patent_id>/remove")
@roles_required(*MANAGERS)
def remove_patent(event_id: int, patent_id: int):
    event = load(event_id)
    svc.remove_listing(event, patent_id, current_user)
    db.session.commit()
    flash(_("The patent was taken off the programme."), "success")
    return redirect(url_for("events.programme", event_id=event.id))


@bp.get("/<int:event_id>/invite")
@roles_required(*MANAGERS)
def invite(event_id: int):
    event = load(event_id)
    picker = OrganizationPickForm()
    picker.organization_id.choices = [(o.id, o.name) for o in svc.registrable_enterprises(event)]
    registrations = sorted(event.registrations, key=lambda r: r.registered_at)
    return render_template(
        "events/invite.html",
        event=event,
        registrations=registrations,
        picker=picker,
        suggestions=suggest_enterprises(event, current_user, limit=SUGGESTIONS),
        registration_open=svc.registration_open(event),
        action=ActionForm(),
    )
