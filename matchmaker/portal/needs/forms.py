"""Forms of the needs blueprint; field rules mirror ``services.records.check_need``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from ... import validators
from ...labels import choices, league_options
from ...records import NEED_LIMITS, Confidentiality, CooperationMode
from ...regions import LEAGUES
from ...services.record_checks import local_today, split_keywords, year_message
from ..base_form import Form
from ..fields import REQUIRED, DateField, DecimalField, SelectField


def options(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs (raw tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value=value, label=text) for value, text in pairs]


def league_choices() -> list[SelectChoice]:
    """An empty choice, then Inner Mongolia's leagues and cities."""
    return options([("", _l("(not set)")), *league_options()])


def _max(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def plausible_year(form, field) -> None:
    """A date inside the years the import and the API accept (9999-12-31 is a typo)."""
    if field.data is not None and not validators.plausible_date(field.data):
        raise FieldError(year_message())


def amount_range() -> list:
    """An amount's checks: zero or more, at most what the column holds (as the service says)."""
    return [
        Optional(),
        NumberRange(min=0, message=_l("Enter an amount of zero or more.")),
        NumberRange(max=validators.MAX_AMOUNT, message=_l(
            "The amount is too large: at most %(max)s (10k yuan).",
            max=f"{validators.MAX_AMOUNT:,}")),
    ]


class NeedForm(Form):
    """Create or edit a need; ``enterprise`` and ``broker`` exist for administrators only."""

    enterprise = SelectField(_l("Enterprise"), coerce=_id_or_none,
                             validators=[DataRequired(message=REQUIRED)])
    broker = SelectField(_l("Assigned broker"), coerce=_id_or_none,
                         validators=[Optional()])
    title = StringField(_l("Title"), validators=[
        DataRequired(message=REQUIRED), _max(NEED_LIMITS["title"])])
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(message=REQUIRED), _max(NEED_LIMITS["description"])],
        description=_l("The technical problem, current state and the result you expect."),
    )
    technical_field = StringField(_l("Technical field"), validators=[
        Optional(), _max(NEED_LIMITS["technical_field"])])
    keywords = StringField(
        _l("Keywords"),
        description=_l("Separate keywords with commas, at most %(n)d.", n=NEED_LIMITS["keywords"]),
    )
    budget_min = DecimalField(_l("Budget from (10k yuan)"), places=2, validators=amount_range())
    budget_max = DecimalField(_l("Budget to (10k yuan)"), places=2, validators=amount_range())
    cooperation_mode = SelectField(_l("Cooperation mode"), choices=options(choices(CooperationMode)),
                                   default=CooperationMode.LICENCE.value)
    deadline = DateField(_l("Deadline"), validators=[Optional(), plausible_year])
    # validate_region_league says what is wrong with a value not offered: WTForms' own
    # "Not a valid choice" beside it would be a second message for one error.
    region_league = SelectField(_l("League or city"), choices=league_choices(), default="",
                                validate_choice=False)
    region_county = StringField(_l("County or district"), validators=[Optional(), _max(40)])
    confidentiality = SelectField(
        _l("Visibility"), choices=options(choices(Confidentiality)), default=Confidentiality.PUBLIC.value,
        description=_l(
            "Brokers only: hidden from everyone but you, the administrators and the broker whose "
            "fields and region cover the need; when no broker does, an administrator assigns one."
        ),
    )
    external_ref = StringField(_l("Your reference"), validators=[
        Optional(), _max(NEED_LIMITS["external_ref"])])
    seen = HiddenField()  # what an edit form showed, per field (portal/edit_conflicts.py)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, is_new: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_new = is_new

    def validate_keywords(self, field):
        words = split_keywords(field.data)
        if len(words) > NEED_LIMITS["keywords"]:
            raise FieldError(_l("At most %(n)d keywords.", n=NEED_LIMITS["keywords"]))
        if any(len(w) > NEED_LIMITS["keyword"] for w in words):
            raise FieldError(_l("Each keyword may have at most %(n)d characters.",
                                n=NEED_LIMITS["keyword"]))

    def validate_budget_max(self, field):
        """Compare only two valid amounts: 1e20 against 50 is too large, not "min above max"
        (``budget_min`` was checked first: fields validate in the order declared)."""
        if field.errors or self.budget_min.errors:
            return
        low = self.budget_min.data
        if field.data is not None and low is not None and low > field.data:
            raise FieldError(_l("The minimum budget exceeds the maximum."))

    def validate_deadline(self, field):
        """A date set now must lie ahead; on edit, the stored deadline (``object_data``) may
        have passed and is kept as it is while other fields change."""
        if field.errors or field.data is None:
            return
        kept = not self.is_new and field.data == field.object_data
        if not kept and field.data < local_today():
            raise FieldError(_l("The deadline cannot be in the past."))

    def validate_region_league(self, field):
        if field.data and field.data not in LEAGUES:
            raise FieldError(_l("Choose a league or city of Inner Mongolia."))

    def values(self) -> dict:
        """The submitted values in the shape ``services.records`` expects."""
        skip = {"enterprise", "broker", "submit", "csrf_token"}
        return {name: f.data for name, f in self._fields.items() if name not in skip}


class ConfirmForm(Form):
    """An empty form: a button that carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


def add_error(form: Form, exc) -> bool:
    """Show a service ``ValidationError`` next to its field; False when no field matches."""
    target = form._fields.get(exc.field) if getattr(exc, "field", None) else None
    if target is None:
        return False
    target.errors = [*target.errors, str(exc)]
    return True
