"""The showcase's contact form (我要对接) and the brokers' status buttons."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.validators import ValidationError as FieldError

from ... import validators
from ...errors import ValidationError
from ...records import CONTACT_LIMITS
from ..base_form import Form
from ..fields import REQUIRED

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _max(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _plain(form, field) -> None:
    """Control characters (NUL, ESC) refused as every other text of the portal refuses them:
    this form is open to anyone, and NUL cannot even be stored in PostgreSQL."""
    try:
        validators.plain_text(field.data or "")
    except ValidationError as exc:
        raise FieldError(str(exc)) from exc


class ContactForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED),
                                                    _max(CONTACT_LIMITS["name"]), _plain])
    organization = StringField(_l("Organization"), validators=[
        DataRequired(REQUIRED), _max(CONTACT_LIMITS["organization"]), _plain])
    phone = StringField(_l("Your phone"), validators=[_max(CONTACT_LIMITS["phone"])],
                        description=_l("A phone number or an e-mail address, or both."))
    email = StringField(_l("Your e-mail"), validators=[_max(CONTACT_LIMITS["email"]), _plain])
    message = TextAreaField(_l("Your message"), validators=[
        DataRequired(REQUIRED), _max(CONTACT_LIMITS["message"]), _plain],
        description=_l("What you would like to discuss: application, scale, timing."))
    submit = SubmitField(_l("Send to the brokers"))

    def validate_phone(self, field) -> None:
        phone = (field.data or "").strip()
        problem = validators.phone_problem(phone) if phone else None
        if problem:
            raise FieldError(problem)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.phone.data or "").strip() and not (self.email.data or "").strip():
            self.phone.errors = [*self.phone.errors, _l("Give a phone number or an e-mail address.")]
            valid = False
        return valid

    def validate_email(self, field) -> None:
        if field.data and not _EMAIL.match(field.data.strip()):
            raise FieldError(_l("This is not an e-mail address."))

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "organization": self.organization.data.strip(),
            "phone": (self.phone.data or "").strip() or None,
            "email": (self.email.data or "").strip() or None,
            "message": self.message.data.strip(),
        }


class StatusForm(Form):
    """The CSRF token of the status buttons; the status itself is the button's hidden input."""
