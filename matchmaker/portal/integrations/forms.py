"""Forms of the API token and webhook pages."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from wtforms import StringField, SubmitField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, StopValidation

from ...services.webhooks import EVENTS, REFUSED_TARGET
from ..base_form import Form
from ..fields import REQUIRED, CheckboxesField, IntegerField, SelectField

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


#: A delivery's state (``WebhookDelivery.status``, set by ``services.webhooks.deliver``).
DELIVERY_STATUS_LABELS = {
    "pending": lazy_pgettext("webhook delivery", "Waiting to be sent"),
    "delivered": lazy_pgettext("webhook delivery", "Delivered"),
    "failed": lazy_pgettext("webhook delivery", "Failed"),
    "cancelled": lazy_pgettext("webhook delivery", "Cancelled"),
}

#: Errors ``services.webhooks.deliver`` writes in English; others (the receiver's answer, a
#: network error) are shown as stored.
DELIVERY_ERRORS = {
    "subscription disabled": lazy_pgettext("webhook delivery", "Not sent: the webhook is disabled"),
    REFUSED_TARGET: lazy_pgettext("webhook delivery", "Not sent: the address is not a public "
                                  "http(s) address (private, loopback or reserved network)"),
}

#: ``WebhookSubscription.disabled_reason`` as ``services.webhooks.deliver`` writes it (stored
#: in English, also in the API's answers): "3 consecutive failures".
_FAILURES_REASON = re.compile(r"(\d+) consecutive failures?")


def _labels(codes: list[str], names: dict) -> list[str]:
    """The labels of ``codes`` as the form's boxes show them; an unknown code shows as itself."""
    return [str(names.get(code, code)) for code in codes]


def event_label(code: str) -> str:
    """A webhook event for people: 发布新需求 rather than need.posted; unknown codes as stored."""
    return str(EVENT_LABELS.get(code, code))


def delivery_status_label(status: str | None) -> str:
    """A delivery's state in the interface language; an unknown value as stored."""
    return str(DELIVERY_STATUS_LABELS.get(status, status or ""))


def delivery_answer(delivery) -> str:
    """The receiver's status code and the error, without repeating "HTTP 500" after 500."""
    code, error = delivery.response_code, delivery.error
    parts = [str(code)] if code is not None else []
    if error and error != f"HTTP {code}":
        parts.append(str(DELIVERY_ERRORS.get(error, error)))
    return " · ".join(parts)


def disabled_reason_text(reason: str | None) -> str:
    """Why a webhook was disabled, in the interface language when the system wrote it
    (连续 3 次投递失败); any other text as stored; "" for none."""
    if not reason:
        return ""
    found = _FAILURES_REASON.fullmatch(reason.strip())
    if found:
        count = int(found.group(1))
        return ngettext("%(num)d consecutive failure", "%(num)d consecutive failures", count)
    return reason


class AtLeastOne:
    """A group of checkboxes needs one box ticked, checked here on the server.

    Not ``DataRequired``: its ``required`` flag is written on every checkbox of the group, and a
    browser then refuses the form until all of them are ticked. This validator sets no flag.
    """

    field_flags = {"one_required": True}  # the label's * (render_field), no HTML attribute

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data:
            return
        field.errors[:] = []
        raise StopValidation(self.message)


class TokenForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=80)])
    scopes = CheckboxesField(_l("Scopes"), choices=list(SCOPE_LABELS.items()), default=["read"],
                             validators=[AtLeastOne(_l("Choose at least one scope."))])
    days = IntegerField(_l("Valid for (days, 0 = no expiry)"), default=90,
                        validators=[Optional(), NumberRange(min=0, max=3660)])
    submit = SubmitField(_l("Create token"))

    @staticmethod
    def scope_labels(token) -> list[str]:
        """A token's scopes for the list: 读取, 写入 rather than read,write."""
        return _labels(token.scope_list, SCOPE_LABELS)


class WebhookForm(Form):
    organization = SelectField(_l("Organization"), coerce=int, validate_choice=False)
    url = StringField(_l("Endpoint URL"), validators=[
        DataRequired(message=REQUIRED), Length(max=500), URL(require_tld=False)])
    events = CheckboxesField(_l("Events"), choices=[(e, EVENT_LABELS.get(e, e)) for e in EVENTS],
                             validators=[AtLeastOne(_l("Choose at least one event."))])
    submit = SubmitField(_l("Add webhook"))

    @staticmethod
    def event_labels(sub) -> list[str]:
        """A subscription's events for the list: 发布新需求 rather than need.posted."""
        return _labels(sub.event_list, EVENT_LABELS)

    @staticmethod
    def disabled_reason(sub) -> str:
        """Why a subscription was disabled, for the list: 连续 3 次投递失败."""
        return disabled_reason_text(sub.disabled_reason)


class ButtonForm(Form):
    submit = SubmitField(_l("Confirm"))
