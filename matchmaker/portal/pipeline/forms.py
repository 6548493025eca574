"""Forms of the pipeline: one move form per target status, assignment and notes."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...labels import choices
from ...records import MatchStatus, RejectionReason
from ...records.enums import NEED_LEVEL_REASONS, PATENT_LEVEL_REASONS
from ...services.pipeline import NOTE_LIMIT, TEXT_LIMIT
from ..base_form import Form
from ..fields import DecimalField, SelectField

S = MatchStatus
# What the button that moves a pair *to* a status says.
ACTION_LABELS = {
    S.RECOMMENDED: _l("Recommend to the enterprise"),
    S.CONTACTED: _l("Mark as contacted"),
    S.NEGOTIATING: _l("Start negotiating"),
    S.SIGNED: _l("Record the signed contract"),
    S.REGISTERED: _l("Record the contract registration"),
    S.REJECTED: _l("Reject"),
    S.CANDIDATE: _l("Reopen"),
}
# Which fields each move shows (the others stay empty).
FIELDS = {
    S.RECOMMENDED: ("reason",),
    S.CONTACTED: ("reason",),
    S.NEGOTIATING: ("reason",),
    S.SIGNED: ("contract_amount", "reason"),
    S.REGISTERED: ("contract_amount", "contract_number", "reason"),
    S.REJECTED: ("rejection_reason", "note"),
    S.CANDIDATE: ("reason",),
}
_CONTRACT_NUMBER = re.compile(r"^[0-9A-Za-z\s]{14,30}$")


class MoveForm(Form):
    """Move a pair to ``target``; its fields are prefixed with the target (several per page)."""

    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=NOTE_LIMIT)])
    rejection_reason = SelectField(_l("Rejection reason"), validators=[Optional()])
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    contract_amount = DecimalField(
        _l("Contract amount (10k yuan)"), places=2,
        validators=[Optional(), NumberRange(min=0.01, max=999_999_999_999)],
    )
    contract_number = StringField(
        _l("Registration number"),
        description=_l("14 to 20 digits or letters, e.g. 150203202600123"),
        validators=[Optional(), Length(max=60)],
    )
    # The status the user saw: the move applies only if the pair still has it.
    seen_status = HiddenField()
    submit = SubmitField()

    def __init__(self, target: MatchStatus, *args, **kw):
        super().__init__(*args, prefix=target.value, **kw)
        self.target = target
        self.submit.label.text = ACTION_LABELS[target]
        self.rejection_reason.choices = [("", _l("Choose a reason"))] + choices(RejectionReason)
        if target is S.CANDIDATE:
            self.reason.label.text = _l("Why reopen")
            self.reason.flags.required = True
        if target in (S.SIGNED, S.REGISTERED):
            self.contract_amount.flags.required = True
        if target is S.REGISTERED:
            self.contract_number.flags.required = True
        if target is S.REJECTED:
            self.rejection_reason.flags.required = True

    def tell_cascade(self, counts: dict[str, int]) -> None:
        """Say on each patent- or need-level reason how many other open pairs it rejects too
        (``stale.cascade_counts``): a broker saw 31 pairs of a need go with one click."""
        reaches = {**dict.fromkeys(NEED_LEVEL_REASONS, counts.get("need", 0)),
                   **dict.fromkeys(PATENT_LEVEL_REASONS, counts.get("patent", 0))}
        self.rejection_reason.choices = [
            (value, text if not reaches.get(RejectionReason(value) if value else None) else
             ngettext("%(reason)s: rejects %(num)d other open pair too",
                      "%(reason)s: rejects %(num)d other open pairs too",
                      reaches[RejectionReason(value)], reason=text))
            for value, text in self.rejection_reason.choices]

    def shown_fields(self):
        """The fields this move asks for, in order."""
        return [self[name] for name in FIELDS[self.target]]

    def validate(self, extra_validators=None) -> bool:
        """Field rules first, then what this move requires (``Optional()`` fields skip inline
        ``validate_<field>`` methods when empty, so the conditions are checked here)."""
        ok = super().validate(extra_validators)
        return self._required() and ok

    def _required(self) -> bool:
        missing = []
        target = self.target
        if target is S.CANDIDATE and not (self.reason.data or "").strip():
            missing.append((self.reason, _l("Give a reason for reopening the pair.")))
        if target is S.REJECTED and not self.rejection_reason.data:
            missing.append((self.rejection_reason, _l("Choose a reason for the rejection.")))
        if (
            target is S.REJECTED
            and self.rejection_reason.data == RejectionReason.OTHER.value
            and not (self.note.data or "").strip()
        ):
            missing.append((self.note, _l("Describe the reason when choosing “other”.")))
        if target in (S.SIGNED, S.REGISTERED) and self.contract_amount.data is None:
            if not self.contract_amount.errors:
                missing.append((self.contract_amount, _l("Enter the contract amount (10k yuan).")))
        if target is S.REGISTERED:
            number = re.sub(r"\s+", "", self.contract_number.data or "")
            if not _CONTRACT_NUMBER.match(self.contract_number.data or "") or not 14 <= len(number) <= 20:
                missing.append(
                    (self.contract_number, _l("The registration number has 14 to 20 digits or letters."))
                )
        for field, message in missing:
            field.errors = [*field.errors, message]
        return not missing


class AssignForm(Form):
    broker = SelectField(_l("Broker"), validators=[DataRequired(_l("Choose a broker."))])
    reason = StringField(_l("Why (optional)"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    # The broker id the user saw ("" for unassigned); absent: whatever is loaded.
    seen_broker = HiddenField()
    submit = SubmitField(_l("Assign"))

    def expected_broker(self):
        """The seen broker id, None for unassigned, ``...`` when the form did not say."""
        raw = self.seen_broker.raw_data
        if not raw:
            return ...
        return int(raw[0]) if raw[0].strip().isdigit() else None

    def __init__(self, brokers, *args, **kw):
        super().__init__(*args, prefix="assign", **kw)
        self.broker.choices = [("", _l("Choose a broker"))] + [
            (str(b.id), b.display_name) for b in brokers
        ]


class NoteForm(Form):
    body = TextAreaField(
        _l("Note"), validators=[DataRequired(_l("The note is empty.")), Length(max=NOTE_LIMIT)]
    )
    submit = SubmitField(_l("Add note"))

    def __init__(self, *args, **kw):
        super().__init__(*args, prefix="note", **kw)


class UndoForm(Form):
    """Undo a patent- or need-level rejection (the offer shown once after it)."""

    rejection = HiddenField(validators=[DataRequired()])  # its history row
    submit = SubmitField(_l("Undo"))

    def __init__(self, *args, **kw):
        super().__init__(*args, prefix="undo", **kw)

    def history_id(self) -> int | None:
        raw = (self.rejection.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 12 else None
