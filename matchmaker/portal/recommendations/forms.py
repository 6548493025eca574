"""The enterprise's answer to a recommended patent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ...labels import choices
from ...records import Feedback
from ...services.pipeline import TEXT_LIMIT
from ..base_form import Form


class FeedbackForm(Form):
    """Interested or not; a reason is required when not. Prefixed per pair (many on a page)."""

    feedback = RadioField(_l("Your answer"), validators=[InputRequired(_l("Choose an answer."))])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    submit = SubmitField(_l("Send answer"))

    def __init__(self, match_id: int, *args, **kw):
        super().__init__(*args, prefix=f"m{match_id}", **kw)
        self.feedback.choices = choices(Feedback)

    def validate_reason(self, field):
        if self.feedback.data == Feedback.NOT_INTERESTED.value and not (field.data or "").strip():
            raise ValidationError(_l("Tell us why the patent does not fit."))
