"""Forms of the release-events pages; the service re-checks every rule on save."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ...labels import choices, league_options
from ...records import EventStatus
from ...services.events import EVENT_LIMITS, SUMMARY_LIMIT
from ..base_form import Form
from ..fields import REQUIRED, CheckboxesField, DateField, SelectField


def _max(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def options(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value=value, label=text) for value, text in pairs]


class EventForm(Form):
    """Create or edit a release event."""

    number = StringField(
        _l("Event number"),
        validators=[DataRequired(message=REQUIRED), _max(EVENT_LIMITS["number"])],
        description=_l("Unique, e.g. MKJ-2026-07"),
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=REQUIRED), _max(EVENT_LIMITS["name"])]
    )
    held_on = DateField(_l("Date"), validators=[DataRequired(message=REQUIRED)])
    venue = StringField(_l("Venue"), validators=[Optional(), _max(EVENT_LIMITS["venue"])])
    theme = TextAreaField(
        _l("Theme"),
        validators=[Optional(), _max(EVENT_LIMITS["theme"])],
        description=_l(
            "Words and IPC classes (e.g. H01F, C22C) that describe the event; "
            "the patent suggestions follow them."
        ),
    )
    target_industries = StringField(
        _l("Target industries"),
        validators=[Optional(), _max(EVENT_LIMITS["target_industries"])],
        description=_l("Separate with commas."),
    )
    target_regions = CheckboxesField(
        _l("Target regions"), choices=options(league_options()), validators=[Optional()])
    status = SelectField(
        _l("Status"), choices=options(choices(EventStatus)), default=EventStatus.PLANNED.value
    )
    submit = SubmitField(_l("Save"))


class ActionForm(Form):
    """A bare form: only the CSRF token, for one-button POST actions."""


class AddPatentForm(Form):
    """Add a patent to the programme by id (from a suggestion) or by publication number."""

    patent_id = HiddenField()
    publication_number = StringField(_l("Publication number"), validators=[Optional(), _max(20)])
    submit = SubmitField(_l("Add to programme"))


class ListingForm(Form):
    """A listing's on-stage choice and booklet summary."""

    on_stage = BooleanField(_l("Presented on stage"))
    summary = TextAreaField(
        _l("Plain-language summary"),
        validators=[Optional(), _max(SUMMARY_LIMIT)],
        description=_l("Leave empty to use the first sentences of the abstract."),
    )
    submit = SubmitField(_l("Save"))


class OrganizationPickForm(Form):
    """The broker's picker of any enterprise not yet registered."""

    organization_id = SelectField(_l("Enterprise"), coerce=int, choices=[])
    submit = SubmitField(_l("Register"))
