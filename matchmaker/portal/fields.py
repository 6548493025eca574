"""The project's form fields: numbers and dates that say what to type, and a cheaper select box.

WTForms' own messages ("Not a valid float value." / "不是有效的浮点数。") speak of programmer
types and come from its catalogue, not ours; every numeric or date field of every form is one of
these instead. Every select box is :class:`SelectField`, whose options cost a fifth of WTForms'.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import fields, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import html_params

#: The one wording of a missing required field, on every form (the login form spoke WTForms'
#: own, 该字段是必填字段, where the others say 此项为必填项).
REQUIRED = _l("This field is required.")


class _OwnMessage:
    """Replace the field's type error with :attr:`message` (the value typed is kept for redisplay)."""

    message = _l("Enter a number")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(self.message)) from exc

    def validate(self, form, extra_validators=()):
        """What was typed is no number: say that alone, not also a range it cannot be in.
        An empty field goes through the validators, whose ``Optional`` clears the error."""
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)


class DecimalField(_OwnMessage, fields.DecimalField):
    """A decimal amount: "Enter a number" / 请输入数字. ``Decimal`` reads "NaN", "sNaN" and
    "Infinity" too: those are not amounts either (a signalling NaN would break the range check)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(str(self.message))


class FloatField(_OwnMessage, fields.FloatField):
    """A score or ratio: "Enter a number" / 请输入数字."""


class IntegerField(_OwnMessage, fields.IntegerField):
    """A count of days or items: "Enter a whole number" / 请输入整数."""

    message = _l("Enter a whole number")


class DateField(_OwnMessage, fields.DateField):
    """A calendar date typed or picked: "Enter a real date as YYYY-MM-DD" (also for 2027-02-30,
    which has the format but is no date)."""

    message = _l("Enter a real date as YYYY-MM-DD")


class Select(widgets.Select):
    """WTForms' select box, the same HTML, its options written directly.

    WTForms writes each option through ``html_params`` (a sort and a ``Markup.format`` per
    attribute) after inspecting ``render_option``'s signature: about 30 us an option, and the
    queue's filter bar and bulk form hold 170 of them (every broker twice). Options with extra
    attributes, option groups and multiple selects keep WTForms' own path.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html.extend(_option(choice) for choice in field.iter_choices())
        html.append("</select>")
        return Markup("".join(html))


def _option(choice) -> str:
    """``widgets.Select.render_option(choice)``: its attributes sorted, so selected first."""
    if choice.render_kw or isinstance(choice.value, bool):
        return widgets.Select.render_option(choice)
    value = str(escape(choice.value)).replace('"', "&quot;")
    label = escape(choice.label or choice.value)
    if choice.selected:
        return f'<option selected value="{value}">{label}</option>'
    return f'<option value="{value}">{label}</option>'


class CheckboxesField(fields.SelectMultipleField):
    """A group of checkboxes (easier on a phone than a multiple select). A posted value that is
    none of the boxes gets our message, not WTForms' English "'x' is not a valid choice"."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", _l("Choose only among the options shown."))
        # (value, label) pairs as SelectChoice: WTForms 3.4 drops tuples (a deprecation now)
        if isinstance(kwargs.get("choices"), list | tuple):
            kwargs["choices"] = [c if isinstance(c, SelectChoice) else SelectChoice(*c)
                                 for c in kwargs["choices"]]
        super().__init__(*args, **kwargs)


class SelectField(fields.SelectField):
    """A select box rendered by :class:`Select`."""

    widget = Select()
