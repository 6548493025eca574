"""Forms of the API token and webhook pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from ...services.webhooks import EVENTS
from ..fields import CheckboxesField, IntegerField, SelectField

#: The webhook events (their codes are the API's, see docs/api.md) in the interface language.
EVENT_LABELS = {
    "need.posted": _l("A need is posted"),
    "patent.listed": _l("A patent is listed"),
    "match.recommended": _l("A pair is recommended"),
    "match.moved": _l("A pair moves to another stage"),
    "import.finished": _l("An import has finished"),
}



class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    scopes = CheckboxesField(_l("Scopes"), choices=[("read", _l("read")), ("write", _l("write"))],
                             default=["read"], validators=[DataRequired()])
    days = IntegerField(_l("Valid for (days, 0 = no expiry)"), default=90,
                        validators=[Optional(), NumberRange(min=0, max=3660)])
    submit = SubmitField(_l("Create token"))


class WebhookForm(FlaskForm):
    organization = SelectField(_l("Organization"), coerce=int, validate_choice=False)
    url = StringField(_l("Endpoint URL"), validators=[
        DataRequired(), Length(max=500), URL(require_tld=False)])
    events = CheckboxesField(_l("Events"), choices=[(e, EVENT_LABELS.get(e, e)) for e in EVENTS],
                             validators=[DataRequired()])
    submit = SubmitField(_l("Add webhook"))


class ButtonForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
