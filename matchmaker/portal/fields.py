"""Number and date fields that say what to type in the project's words, in the screen's language.

WTForms' own messages ("Not a valid float value." / "不是有效的浮点数。") speak of programmer
types and come from its catalogue, not ours; every numeric or date field of every form is one of
these instead.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import fields


class _OwnMessage:
    """Replace the field's type error with :attr:`message` (the value typed is kept for redisplay)."""

    message = _l("Enter a number")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(self.message)) from exc


class DecimalField(_OwnMessage, fields.DecimalField):
    """A decimal amount: "Enter a number" / 请输入数字."""


class FloatField(_OwnMessage, fields.FloatField):
    """A score or ratio: "Enter a number" / 请输入数字."""


class IntegerField(_OwnMessage, fields.IntegerField):
    """A count of days or items: "Enter a whole number" / 请输入整数."""

    message = _l("Enter a whole number")


class DateField(_OwnMessage, fields.DateField):
    """A calendar date typed or picked: "Enter a date as YYYY-MM-DD"."""

    message = _l("Enter a date as YYYY-MM-DD")
