"""Forms of the API token and webhook pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, StopValidation

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

#: A token's scopes (see ``ApiToken.scopes``) in the interface language.
SCOPE_LABELS = {
    "read": _l("read"),
    "write": _l("write"),
}


def _labels(codes: list[str], names: dict) -> list[str]:
    """The labels of ``codes`` as the form's boxes show them; an unknown code shows as itself."""
    return [str(names.get(code, code)) for code in codes]


class AtLeastOne:
    """A group of checkboxes needs one box ticked, checked here on the server.

    Not ``DataRequired``: its ``required`` flag is written on every checkbox of the group, and a
    browser then refuses the form until all of them are ticked. This validator sets no flag.
    """

    field_flags: dict = {}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data:
            return
        field.errors[:] = []
        raise StopValidation(self.message)


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    scopes = CheckboxesField(_l("Scopes"), choices=list(SCOPE_LABELS.items()), default=["read"],
                             validators=[AtLeastOne(_l("Choose at least one scope."))])
    days = IntegerField(_l("Valid for (days, 0 = no expiry)"), default=90,
                        validators=[Optional(), NumberRange(min=0, max=3660)])
    submit = SubmitField(_l("Create token"))

    @staticmethod
    def scope_labels(token) -> list[str]:
        """A token's scopes for the list: 读取, 写入 rather than read,write."""
        return _labels(token.scope_list, SCOPE_LABELS)


class WebhookForm(FlaskForm):
    organization = SelectField(_l("Organization"), coerce=int, validate_choice=False)
    url = StringField(_l("Endpoint URL"), validators=[
        DataRequired(), Length(max=500), URL(require_tld=False)])
    events = CheckboxesField(_l("Events"), choices=[(e, EVENT_LABELS.get(e, e)) for e in EVENTS],
                             validators=[AtLeastOne(_l("Choose at least one event."))])
    submit = SubmitField(_l("Add webhook"))

    @staticmethod
    def event_labels(sub) -> list[str]:
        """A subscription's events for the list: 发布新需求 rather than need.posted."""
        return _labels(sub.event_list, EVENT_LABELS)


class ButtonForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
