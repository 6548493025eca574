"""Forms of the patents blueprint; field rules mirror ``services.records.check_patent``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from ... import validators
from ...errors import ValidationError
from ...extensions import db
from ...ingest.readers import FORMATS
from ...labels import choices
from ...records import PATENT_LIMITS, LegalStatus, LicenceMode, Patent, PatentType
from ...services.record_checks import future_date_problem
from ..base_form import Form
from ..fields import REQUIRED, CheckboxesField, DateField, DecimalField, SelectField
from ..needs.forms import options, plausible_year


def _max(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def not_after_today(form, field) -> None:
    """A filing or grant date lies behind a published patent; an edit may keep the stored one
    (``object_data``), as ``record_checks.check_patent`` lets it."""
    if field.errors or field.data is None:
        return
    problem = future_date_problem(field.name, field.data, field.object_data)
    if problem:
        raise FieldError(problem)


class PatentForm(Form):
    """Create or edit a patent; ``owner`` exists for administrators only."""

    owner = SelectField(_l("Owner"), coerce=_id_or_none, validators=[Optional()])
    publication_number = StringField(
        _l("Publication number"),
        validators=[DataRequired(message=REQUIRED), _max(PATENT_LIMITS["publication_number"])],
        description=_l("For example CN114081026A."),
    )
    application_number = StringField(_l("Application number"), validators=[
        Optional(), _max(PATENT_LIMITS["application_number"])])
    patent_type = SelectField(_l("Patent type"), choices=options(choices(PatentType)),
                              default=PatentType.INVENTION.value)
    title = StringField(_l("Title"), validators=[
        DataRequired(message=REQUIRED), _max(PATENT_LIMITS["title"])])
    abstract = TextAreaField(_l("Abstract"), validators=[
        DataRequired(message=REQUIRED), _max(PATENT_LIMITS["abstract"])])
    claims = TextAreaField(_l("Claims"), validators=[Optional(), _max(PATENT_LIMITS["claims"])])
    applicants = StringField(_l("Applicants"), validators=[
        Optional(), _max(PATENT_LIMITS["applicants"])])
    inventors = StringField(_l("Inventors"), validators=[
        Optional(), _max(PATENT_LIMITS["inventors"])])
    legal_status = SelectField(_l("Legal status"), choices=options(choices(LegalStatus)),
                               default=LegalStatus.VALID.value)
    filing_date = DateField(_l("Filing date"),
                            validators=[Optional(), plausible_year, not_after_today])
    grant_date = DateField(_l("Grant date"),
                           validators=[Optional(), plausible_year, not_after_today])
    fee_due_date = DateField(_l("Annual fee due"), validators=[Optional(), plausible_year])
    ipc_codes = StringField(
        _l("IPC codes"),
        description=_l("Separate codes with semicolons, main classification first, "
                       "for example H01F 1/057; C22C 38/00."),
    )
    licensing_modes = CheckboxesField(_l("Licensing modes"), choices=options(choices(LicenceMode)))
    technical_field = StringField(_l("Technical field"), validators=[
        Optional(), _max(PATENT_LIMITS["technical_field"])])
    asking_price = DecimalField(
        _l("Asking price (10k yuan)"), places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("Enter an amount of zero or more."))],
    )
    dormant = BooleanField(_l("Dormant (not yet put to use)"), default=True)
    contact_note = TextAreaField(_l("Contact note"), validators=[
        Optional(), _max(PATENT_LIMITS["contact_note"])])
    seen = HiddenField()  # what an edit form showed, per field (portal/edit_conflicts.py)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, patent_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patent_id = patent_id

    def validate_publication_number(self, field):
        try:
            number = validators.publication_number(field.data)
        except ValidationError as exc:
            raise FieldError(_l("Invalid publication number (for example CN114081026A).")) from exc
        taken = select(Patent.id).where(
            Patent.publication_number == number, Patent.id != (self.patent_id or -1)
        )
        if db.session.scalar(taken) is not None:
            raise FieldError(_l("A patent with this publication number exists."))

    def validate_ipc_codes(self, field):
        try:
            validators.ipc_codes(field.data)
        except ValidationError as exc:
            raise FieldError(_l("Invalid IPC code (for example H01F 1/057).")) from exc

    def validate_grant_date(self, field):
        """Compare only two valid dates: a filing year of 9990 is the error, not the grant."""
        if field.errors or self.filing_date.errors:
            return
        filed = self.filing_date.data
        if field.data is not None and filed is not None and field.data <= filed:
            raise FieldError(_l("The grant date must be after the filing date."))

    def values(self) -> dict:
        """The submitted values in the shape ``services.records`` expects."""
        skip = {"owner", "submit", "csrf_token"}
        return {name: f.data for name, f in self._fields.items() if name not in skip}


class UploadForm(Form):
    """Bulk upload of patents from a CSV, TSV, XLSX or JSON Lines file (as the CLI reads)."""

    file = FileField(
        _l("File"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(FORMATS, message=_l("Only CSV, TSV, XLSX or JSON Lines files.")),
        ],
        description=_l("Columns as in the import template; existing publication numbers "
                       "are updated."),
    )
    owner = SelectField(_l("Owner"), coerce=_id_or_none, validators=[Optional()])
    dry_run = BooleanField(_l("Check only, save nothing"))
    submit = SubmitField(_l("Upload"))
