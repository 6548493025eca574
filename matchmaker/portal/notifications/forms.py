"""Forms of the notifications page: one-button POSTs carrying the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class MarkReadForm(FlaskForm):
    submit = SubmitField(_l("Mark read"))


class MarkAllReadForm(FlaskForm):
    submit = SubmitField(_l("Mark all read"))
