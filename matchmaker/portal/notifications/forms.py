"""Forms of the notifications page: one-button POSTs carrying the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from ..base_form import Form


class MarkReadForm(Form):
    submit = SubmitField(_l("Mark read"))


class MarkAllReadForm(Form):
    submit = SubmitField(_l("Mark all read"))
