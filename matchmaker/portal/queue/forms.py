"""Forms of the review queue: the filter bar (GET) and the bulk actions (POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ...labels import choices, league_options
from ...records import MatchStatus, RejectionReason
from ...records.views import VIEW_NAME_LIMIT
from ...services.queue import BROKER_MINE, BROKER_NONE, QueueFilters
from ..base_form import Form
from ..fields import FloatField, IntegerField, SelectField

ALL = "all"
WEAK = "weak"  # strength filter: also candidates under the strong line
OPEN = "open"  # every status before the end of the road
SORTS = {  # choice -> (service sort, reverse)
    "score": ("score", False),
    "score_asc": ("score", True),
    "age": ("age", False),  # longest in its status first
    "newest": ("age", True),
    "status": ("status", False),  # pipeline order
}
FLAG_FIELDS = ("flag_region", "flag_open_licence", "flag_budget", "flag_mode")
# Out-of-range input in the project's words and catalogue (as ``portal.fields`` does for type
# errors), naming what to type rather than WTForms' "Number must be between…".
SCORE_RANGE = NumberRange(min=0, max=100, message=_l("Enter a score from 0 to 100."))
AGE_RANGE = NumberRange(min=0, max=36500, message=_l("Enter a number of days from 0 to 36500."))
OPEN_STATUSES = (
    MatchStatus.CANDIDATE,
    MatchStatus.RECOMMENDED,
    MatchStatus.CONTACTED,
    MatchStatus.NEGOTIATING,
    MatchStatus.SIGNED,
)


class QueueFilterForm(Form):
    """The filter bar; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default=MatchStatus.CANDIDATE.value, validators=[Optional()])
    # The calibrated 0-100 score the lists show, typed in whole points (step 1). A float field
    # still, so links and saved views written when the bounds were engine scores (0.5) load
    # without an error: 0.5 now means half a point.
    score_min = FloatField(_l("Score from"), validators=[Optional(), SCORE_RANGE],
                           render_kw={"step": 1})
    score_max = FloatField(_l("Score to"), validators=[Optional(), SCORE_RANGE],
                           render_kw={"step": 1})
    section = SelectField(_l("IPC section"), validators=[Optional()])
    field = StringField(_l("Technical field"), validators=[Optional(), Length(max=100)])
    region = SelectField(_l("Region"), validators=[Optional()])
    age_min = IntegerField(_l("Days in status from"), validators=[Optional(), AGE_RANGE])
    age_max = IntegerField(_l("Days in status to"), validators=[Optional(), AGE_RANGE])
    broker = SelectField(_l("Broker"), validators=[Optional()])
    strength = SelectField(_l("Match strength"), validators=[Optional()])
    flag_region = SelectField(_l("Region preference"), validators=[Optional()])
    flag_open_licence = SelectField(_l("Open licence"), validators=[Optional()])
    flag_budget = SelectField(_l("Price within budget"), validators=[Optional()])
    flag_mode = SelectField(_l("Cooperation mode fits"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), default="score", validators=[Optional()])

    def __init__(self, brokers, *args, default_status: str = MatchStatus.CANDIDATE.value, **kw):
        super().__init__(*args, **kw)
        self.status.choices = [
            (ALL, _l("All statuses")),
            (OPEN, _l("All open statuses")),
            *choices(MatchStatus),
        ]
        if not self.status.raw_data:
            self.status.data = default_status
        self.section.choices = [("", _l("Any"))] + [(s, s) for s in "ABCDEFGH"]
        self.region.choices = [("", _l("Any")), *league_options()]
        self.broker.choices = [
            ("", _l("Anyone")),
            (BROKER_MINE, _l("Mine")),
            (BROKER_NONE, _l("Unassigned")),
        ] + [(str(b.id), b.display_name) for b in brokers]
        self.strength.choices = [
            ("", _l("Strong candidates only")),
            (WEAK, _l("Include weak candidates")),
        ]
        for name in FLAG_FIELDS:
            self[name].choices = [("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]
        self.sort.choices = [
            ("score", _l("Score, highest first")),
            ("score_asc", _l("Score, lowest first")),
            ("age", _l("Waiting longest first")),
            ("newest", _l("Most recent first")),
            ("status", _l("Pipeline stage")),
        ]
        if not self.sort.raw_data:
            self.sort.data = "score"

    def validate_score_max(self, field):
        if field.data is not None and self.score_min.data is not None and field.data < self.score_min.data:
            raise ValidationError(_l("The upper bound is below the lower bound."))

    def validate_age_max(self, field):
        if field.data is not None and self.age_min.data is not None and field.data < self.age_min.data:
            raise ValidationError(_l("The upper bound is below the lower bound."))

    def to_filters(self) -> QueueFilters:
        """The service's filter object; call after ``validate()`` succeeded."""
        if self.status.data == ALL:
            statuses = None
        elif self.status.data == OPEN:
            statuses = OPEN_STATUSES
        else:
            statuses = (MatchStatus(self.status.data),)
        sort, reverse = SORTS.get(self.sort.data or "score", SORTS["score"])
        return QueueFilters(
            statuses=statuses,
            calibrated_min=self.score_min.data,
            calibrated_max=self.score_max.data,
            ipc_section=self.section.data or None,
            field=(self.field.data or "").strip() or None,
            region=self.region.data or None,
            age_min=self.age_min.data,
            age_max=self.age_max.data,
            broker=self.broker.data or None,
            weak=self.strength.data == WEAK,
            flags={name.removeprefix("flag_"): self[name].data == "yes"
                   for name in FLAG_FIELDS if self[name].data in ("yes", "no")} or None,
            sort=sort,
            reverse=reverse,
        )

    def query_args(self) -> dict:
        """The active filters as query arguments, for pagination links."""
        return {
            f.name: f.raw_data[0]
            for f in self
            if f.raw_data and f.raw_data[0] not in ("", None)
        }


class BulkForm(Form):
    """Assign or reject the pairs ticked in the queue (ids arrive as the ``ids`` list)."""

    broker = SelectField(_l("Assign to"), validators=[Optional()])
    rejection_reason = SelectField(_l("Rejection reason"), validators=[Optional()])
    note = TextAreaField(_l("Reason text"), validators=[Optional(), Length(max=500)])
    recommend = SubmitField(_l("Recommend selected"))
    assign = SubmitField(_l("Assign selected"))
    reject = SubmitField(_l("Reject selected"))

    def __init__(self, brokers, *args, **kw):
        super().__init__(*args, **kw)
        self.broker.choices = [("", _l("Choose a broker"))] + [
            (str(b.id), b.display_name) for b in brokers
        ]
        self.rejection_reason.choices = [("", _l("Choose a reason"))] + choices(RejectionReason)

    @property
    def action(self) -> str | None:
        """Which submit button was pressed."""
        if self.recommend.data:
            return "recommend"
        if self.assign.data:
            return "assign"
        if self.reject.data:
            return "reject"
        return None

    def validate(self, extra_validators=None) -> bool:
        """Field rules, then what the chosen action requires (see pipeline.forms.MoveForm)."""
        ok = super().validate(extra_validators)
        if self.action is None:
            self.form_errors.append(_l("Choose an action."))
            return False
        missing = []
        if self.action == "assign" and not self.broker.data:
            missing.append((self.broker, _l("Choose a broker.")))
        if self.action == "reject" and not self.rejection_reason.data:
            missing.append((self.rejection_reason, _l("Choose a reason for the rejection.")))
        if (
            self.action == "reject"
            and self.rejection_reason.data == RejectionReason.OTHER.value
            and not (self.note.data or "").strip()
        ):
            missing.append((self.note, _l("Describe the reason when choosing “other”.")))
        for field, message in missing:
            field.errors = [*field.errors, message]
        return ok and not missing


class SavedViewForm(Form):
    """Save the queue's current filters (sent as ``q``) under a name."""

    name = StringField(
        _l("View name"),
        validators=[DataRequired(_l("Give the view a name.")), Length(max=VIEW_NAME_LIMIT)],
    )
    submit = SubmitField(_l("Save this view"))
