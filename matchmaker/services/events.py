"""Results-release events (成果发布会): the event itself, its listed patents and registrations.

Services add to the session and flush; the caller (a view or a CLI command) commits once, so a
refused change never leaves half a record behind. Suggestions live in ``event_suggestions``,
the follow-up funnel in ``funnel``.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, or_, select, true

from .. import validators
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..reasons import listing
from ..records import (
    EventPatent,
    EventRegistration,
    EventStatus,
    Organization,
    OrgKind,
    Patent,
    ReleaseEvent,
    Role,
    User,
)
from ..regions import LEAGUES
from .audit import record
from .record_checks import local_today, year_message

#: Column limits of ``ReleaseEvent`` (the ORM is the contract; refuse, never truncate).
EVENT_LIMITS = {
    "number": 40,
    "name": 200,
    "venue": 200,
    "theme": 2000,
    "target_industries": 300,
    "target_regions": 300,
}
SUMMARY_LIMIT = 1000
MANAGERS = (Role.ADMIN, Role.BROKER)


#: Today in the portal's time zone, not the server's: an event's date is a day in Inner
#: Mongolia, and on a UTC server the two differ from 00:00 to 08:00 Beijing time.
today = local_today


def can_manage(user: User) -> bool:
    """Admins and brokers prepare events, pick patents and invite enterprises."""
    return user.role in MANAGERS


def event_filter(user: User, on: date | None = None):
    """A WHERE clause selecting the events ``user`` may see.

    Enterprises see upcoming planned events and the events they registered for; universities
    every event that was not cancelled; admins and brokers everything.
    """
    on = on or today()
    if user.role in MANAGERS:
        return true()
    if user.role is Role.UNIVERSITY:
        return ReleaseEvent.status != EventStatus.CANCELLED
    if user.role is Role.ENTERPRISE:
        registered = exists(
            select(EventRegistration.id).where(
                EventRegistration.event_id == ReleaseEvent.id,
                EventRegistration.organization_id == user.organization_id,
            )
        )
        upcoming = and_(ReleaseEvent.status == EventStatus.PLANNED, ReleaseEvent.held_on >= on)
        return or_(upcoming, registered)
    return false()


def visible_events(user: User, status: EventStatus | None = None):
    """``select(ReleaseEvent)`` of what ``user`` may see, newest first."""
    stmt = select(ReleaseEvent).where(event_filter(user))
    if status is not None:
        stmt = stmt.where(ReleaseEvent.status == status)
    return stmt.order_by(ReleaseEvent.held_on.desc(), ReleaseEvent.id.desc())


def get_event(event_id: int, user: User | None = None) -> ReleaseEvent:
    """The event, or NotFound; with ``user``, also NotFound when they may not see it."""
    event = db.session.get(ReleaseEvent, event_id)
    if event is None:
        raise NotFound(_("No such event."))
    if user is not None and not can_view(user, event):
        raise NotFound(_("No such event."))
    return event


def can_view(user: User, event: ReleaseEvent) -> bool:
    """Whether ``user`` may open ``event`` (same rule as :func:`event_filter`)."""
    stmt = select(ReleaseEvent.id).where(ReleaseEvent.id == event.id, event_filter(user))
    return db.session.scalar(stmt) is not None


def split_list(raw: str | None) -> list[str]:
    """A stored comma list (also ，、;) as a list of trimmed, non-empty items."""
    text = (raw or "").replace("，", ",").replace("、", ",").replace(";", ",").replace("；", ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def save_event(
    event: ReleaseEvent | None,
    *,
    actor: User,
    number: str,
    name: str,
    held_on: date | None,
    venue: str | None = None,
    theme: str | None = None,
    target_industries: str | None = None,
    target_regions: list[str] | str | None = None,
    status: EventStatus | str = EventStatus.PLANNED,
) -> ReleaseEvent:
    """Create (``event`` None) or update an event after validating every field."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only administrators and brokers manage events."))
    number = _text(number, "number")
    name = _text(name, "name")
    if not number:
        raise ValidationError(_("Enter the event number."), "number")
    if not name:
        raise ValidationError(_("Enter the event name."), "name")
    if held_on is None:
        raise ValidationError(_("Enter the event date."), "held_on")
    regions = target_regions if isinstance(target_regions, list) else split_list(target_regions)
    unknown = [r for r in regions if r not in LEAGUES]
    if unknown:
        raise ValidationError(_("Unknown region: %(r)s", r=listing(unknown)), "target_regions")
    try:
        status = EventStatus(status)
    except ValueError:
        raise ValidationError(_("Unknown status."), "status") from None
    _check_date(event, held_on, status)
    values = {
        "number": number,
        "name": name,
        "venue": _text(venue, "venue") or None,
        "theme": _text(theme, "theme") or None,
        "target_industries": _text(",".join(split_list(target_industries)),
                                   "target_industries") or None,
        "target_regions": ",".join(regions) or None,
    }
    for field, value in values.items():
        if value is not None and len(value) > EVENT_LIMITS[field]:
            raise ValidationError(_("At most %(n)d characters.", n=EVENT_LIMITS[field]), field)
    # MKJ-2026-07 and mkj-2026-07 name one event for people
    clash = select(ReleaseEvent.id).where(func.lower(ReleaseEvent.number) == number.lower())
    if event is not None:
        clash = clash.where(ReleaseEvent.id != event.id)
    if db.session.scalar(clash) is not None:
        raise ValidationError(_("Another event already has this number."), "number")
    created = event is None
    if created:
        event = ReleaseEvent(created_by_id=actor.id)
        db.session.add(event)
    for field, value in values.items():
        setattr(event, field, value)
    event.held_on = held_on
    event.status = status
    db.session.flush()
    record(
        "event_create" if created else "event_update",
        actor,
        f"event:{event.id}",
        number=number,
        status=status.value,
    )
    return event


def _text(value: str | None, field: str) -> str:
    """``value`` trimmed, refused with control characters in it as needs and patents refuse
    them (NUL cannot even be stored in PostgreSQL)."""
    return validators.plain_text(validators.trim(value or ""), field)


def _check_date(event: ReleaseEvent | None, held_on: date, status: EventStatus) -> None:
    """Refuse a date the event cannot have: a year no import accepts (9999 is a typo), a
    planned event in the past or a held one in the future."""
    if not validators.plausible_date(held_on):
        raise ValidationError(year_message(), "held_on")
    moved = event is None or event.held_on != held_on
    if status is EventStatus.PLANNED and moved and held_on < today():
        # an event already past is held or cancelled; a planned one lies ahead (an event
        # whose day has passed keeps its date while a broker edits other details)
        raise ValidationError(_("A planned event cannot take place in the past: choose a "
                                "later date, or mark it held or cancelled."), "held_on")
    if status is EventStatus.HELD and held_on > today():
        # held is what happened: the day it happened has come (today counts, as it does for
        # a planned event), else the event is still planned
        raise ValidationError(_("An event marked held cannot take place in the future: enter "
                                "the day it was held, or mark it planned."), "held_on")


def add_listing(
    event: ReleaseEvent, patent: Patent, actor: User, *, on_stage: bool = False
) -> EventPatent:
    """List ``patent`` at ``event`` (appended at the end of the programme)."""
    _require_manager(actor)
    if not patent.is_enforceable:
        raise ValidationError(_("Only valid or pending patents can be released."), "patent")
    if listing_for(event, patent.id) is not None:
        raise ValidationError(_("This patent is already listed."), "patent")
    position = db.session.scalar(
        select(func.coalesce(func.max(EventPatent.position), -1)).where(
            EventPatent.event_id == event.id
        )
    )
    listing = EventPatent(event=event, patent=patent, on_stage=on_stage, position=position + 1)
    db.session.add(listing)
    db.session.flush()
    record("event_list_patent", actor, f"event:{event.id}", patent=patent.id)
    return listing


def find_patent(publication_number: str) -> Patent:
    """A patent by its publication number (spaces and case ignored), or ValidationError."""
    number = "".join((publication_number or "").split()).upper()
    patent = db.session.scalar(select(Patent).where(Patent.publication_number == number))
    if patent is None:
        raise ValidationError(_("No patent with this publication number."), "publication_number")
    return patent


def listing_for(event: ReleaseEvent, patent_id: int) -> EventPatent | None:
    """The listing of ``patent_id`` at ``event``, if any."""
    return db.session.scalar(
        select(EventPatent).where(
            EventPatent.event_id == event.id, EventPatent.patent_id == patent_id
        )
    )


def _listing(event: ReleaseEvent, patent_id: int) -> EventPatent:
    listing = listing_for(event, patent_id)
    if listing is None:
        raise NotFound(_("This patent is not listed at the event."))
    return listing


def remove_listing(event: ReleaseEvent, patent_id: int, actor: User) -> None:
    """Take a patent off the programme."""
    _require_manager(actor)
    db.session.delete(_listing(event, patent_id))
    db.session.flush()
    record("event_unlist_patent", actor, f"event:{event.id}", patent=patent_id)


def set_on_stage(event: ReleaseEvent, patent_id: int, on_stage: bool, actor: User) -> EventPatent:
    """Choose whether a listed patent is presented on stage (路演)."""
    _require_manager(actor)
    listing = _listing(event, patent_id)
    listing.on_stage = bool(on_stage)
    db.session.flush()
    record("event_on_stage", actor, f"event:{event.id}", patent=patent_id, on_stage=bool(on_stage))
    return listing


def set_summary(
    event: ReleaseEvent, patent_id: int, summary: str | None, actor: User
) -> EventPatent:
    """Set (or clear, with an empty text) the booklet's plain-language summary of a listing."""
    _require_manager(actor)
    listing = _listing(event, patent_id)
    text = _text(summary, "summary") or None
    if text is not None and len(text) > SUMMARY_LIMIT:
        raise ValidationError(_("At most %(n)d characters.", n=SUMMARY_LIMIT), "summary")
    listing.summary = text
    db.session.flush()
    return listing


def registration_open(event: ReleaseEvent, on: date | None = None) -> bool:
    """Enterprises may register while the event is planned and its date has not passed."""
    return event.status == EventStatus.PLANNED and event.held_on >= (on or today())


def is_registered(event: ReleaseEvent, organization_id: int | None) -> bool:
    """Whether ``organization_id`` is registered for ``event``."""
    if organization_id is None:
        return False
    stmt = select(EventRegistration.id).where(
        EventRegistration.event_id == event.id,
        EventRegistration.organization_id == organization_id,
    )
    return db.session.scalar(stmt) is not None


def register(event: ReleaseEvent, organization: Organization, actor: User) -> EventRegistration:
    """Register an enterprise: enterprise users their own, brokers and admins any enterprise."""
    if actor.role is Role.ENTERPRISE:
        if organization.id != actor.organization_id:
            raise PermissionDenied(_("You can only register your own organization."))
    elif actor.role not in MANAGERS:
        raise PermissionDenied(_("Only enterprises, brokers and administrators register."))
    if organization.kind != OrgKind.ENTERPRISE:
        raise ValidationError(_("Only enterprises register for release events."), "organization")
    if not registration_open(event):
        raise ValidationError(_("Registration for this event is closed."), "event")
    if is_registered(event, organization.id):
        raise ValidationError(_("This enterprise is already registered."), "organization")
    registration = EventRegistration(
        event=event, organization=organization, registered_by_id=actor.id
    )
    db.session.add(registration)
    db.session.flush()
    record("event_register", actor, f"event:{event.id}", organization=organization.id)
    return registration


def unregister(event: ReleaseEvent, organization_id: int, actor: User) -> None:
    """Withdraw a registration while the event is still planned."""
    if actor.role is Role.ENTERPRISE:
        if organization_id != actor.organization_id:
            raise PermissionDenied(_("You can only register your own organization."))
    elif actor.role not in MANAGERS:
        raise PermissionDenied(_("Only enterprises, brokers and administrators register."))
    if event.status != EventStatus.PLANNED:
        raise ValidationError(_("Registration for this event is closed."), "event")
    registration = db.session.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id,
            EventRegistration.organization_id == organization_id,
        )
    )
    if registration is None:
        raise NotFound(_("This enterprise is not registered."))
    db.session.delete(registration)
    db.session.flush()
    record("event_unregister", actor, f"event:{event.id}", organization=organization_id)


def registrable_enterprises(event: ReleaseEvent) -> list[Organization]:
    """Enterprises not yet registered for ``event``, by name (for the broker's picker)."""
    taken = select(EventRegistration.organization_id).where(EventRegistration.event_id == event.id)
    stmt = (
        select(Organization)
        .where(Organization.kind == OrgKind.ENTERPRISE, Organization.id.not_in(taken))
        .order_by(Organization.name)
    )
    return list(db.session.scalars(stmt))


def delete_event(event: ReleaseEvent, actor: User) -> None:
    """Remove an event created by mistake, with its programme (administrators; the caller
    commits). An event that took place, or one enterprises registered for, is kept: its
    follow-up and its registrations are records; it can be cancelled instead."""
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only administrators delete events."))
    if EventStatus(event.status) is EventStatus.HELD:
        raise ValidationError(_("This event took place: it is kept for its follow-up and "
                                "cannot be deleted."))
    if event.registrations:
        raise ValidationError(_("Enterprises registered for this event: it cannot be deleted. "
                                "Set its status to cancelled instead."))
    record("event_delete", actor, f"event:{event.id}", number=event.number,
           patents=len(event.listings))
    db.session.delete(event)
    db.session.flush()


def _require_manager(actor: User) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only administrators and brokers manage events."))
