"""The revival list's filters (a GET form: nothing changes, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField

from ..base_form import Form


class RevivalFilterForm(Form):
    class Meta:
        csrf = False

    urgent = BooleanField(_l("Only patents about to lapse or expire"))
    everything = BooleanField(_l("Include patents that cannot be revived"))
    submit = SubmitField(_l("Filter"))
