"""Forms of the admin blueprint: organizations and user accounts."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.validators import ValidationError as FieldError

from ... import validators
from ...errors import ValidationError
from ...labels import choices, league_options
from ...records import OrgKind, Role
from ...regions import LEAGUES
from ..base_form import Form
from ..fields import REQUIRED, CheckboxesField, SelectField
from ..needs.forms import league_choices, options

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _max(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None



def _check_email(form, field):
    if field.data and not _EMAIL.match(field.data.strip()):
        raise FieldError(_l("Enter an email address such as name@example.com."))


class OrganizationForm(Form):
    """Create or edit an organization."""

    kind = SelectField(_l("Kind"), choices=options(choices(OrgKind)))
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), _max(200)])
    credit_code = StringField(
        _l("Unified social credit code"), validators=[Optional(), _max(18)],
        description=_l("18 characters; the last one is a check character."),
    )
    # validate_region_league says what is wrong with a value not offered: WTForms' own
    # "Not a valid choice" beside it would be a second message for one error.
    region_league = SelectField(_l("League or city"), choices=league_choices(), default="",
                                validate_choice=False)
    region_county = StringField(_l("County or district"), validators=[Optional(), _max(40)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), _max(80)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), _max(40)])
    contact_email = StringField(_l("Contact email"),
                                validators=[Optional(), _max(200), _check_email])
    address = StringField(_l("Address"), validators=[Optional(), _max(300)])
    fields = TextAreaField(_l("Industries and fields"), validators=[Optional(), _max(300)])
    submit = SubmitField(_l("Save"))

    def validate_credit_code(self, field):
        try:
            validators.credit_code(field.data)
        except ValidationError as exc:
            raise FieldError(_l("Invalid unified social credit code.")) from exc

    def validate_region_league(self, field):
        if field.data and field.data not in LEAGUES:
            raise FieldError(_l("Choose a league or city of Inner Mongolia."))

    def values(self) -> dict:
        """The submitted values in the shape ``services.organizations`` expects."""
        return {name: f.data for name, f in self._fields.items()
                if name not in ("submit", "csrf_token")}


class UserForm(Form):
    """Edit an account; ``InviteForm`` adds the username for new accounts."""

    display_name = StringField(_l("Display name"),
                               validators=[DataRequired(message=REQUIRED), _max(80)])
    email = StringField(_l("Email"), validators=[Optional(), _max(200), _check_email])
    role = SelectField(_l("Role"), choices=options(choices(Role)), default=Role.BROKER.value)
    organization = SelectField(_l("Organization"), coerce=_id_or_none, validators=[Optional()])
    broker_fields = StringField(
        _l("Broker's fields"), validators=[Optional(), _max(300)],
        description=_l("IPC sections or fields, separated by commas, for example C, H."),
    )
    broker_regions = CheckboxesField(_l("Broker's leagues and cities"),
                                        choices=options(league_options()))
    submit = SubmitField(_l("Save"))


class InviteForm(UserForm):
    """Create an account; the one-time password is generated, never typed."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(r"^[A-Za-z0-9_.-]{3,80}$",
                   message=_l("3 to 80 letters, digits or _ . -")),
        ],
    )
    submit = SubmitField(_l("Create account"))


class ConfirmForm(Form):
    """An empty form: a button that carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))
