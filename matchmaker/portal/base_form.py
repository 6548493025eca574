"""The base of every portal form.

Its one rule: a text field never carries ``maxlength``. WTForms gives a field with a ``Length``
validator the attribute, and a browser then cuts a pasted text at it without a word while the
form says "saved" (QA, stop 34: an abstract cut at 5,000 characters). The server refuses an
over-long field with its message and gives the text back whole instead. The rule sits here, in
the rendering of every field, so a field rendered by hand in a template follows it too.
"""

from __future__ import annotations

from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        def render_field(self, field, render_kw):
            # False leaves the attribute out; a template's explicit value would still win
            return super().render_field(field, {"maxlength": False, **render_kw})
