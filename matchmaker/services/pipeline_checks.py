"""Input rules of the pipeline: statuses, rejection reasons, contract amounts and numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import has_request_context
from flask_babel import gettext

from .. import validators
from ..errors import ValidationError
from ..records import MatchStatus, RejectionReason

# 技术合同登记号: 14 to 20 digits or capital letters, e.g. 150203202600123.
_CONTRACT_NUMBER = re.compile(r"^[0-9A-Z]{14,20}$")
TEXT_LIMIT = 500  # rejection_note / feedback_reason columns
NOTE_LIMIT = 4000


def tr(text: str, **values) -> str:
    """Translate when a request (and so a locale) is active; CLI and tests get the English text."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def status(value) -> MatchStatus:
    """The MatchStatus named by ``value``."""
    try:
        return MatchStatus(value)
    except ValueError:
        raise ValidationError(tr("Unknown status: %(s)s", s=str(value)), "to") from None


def rejection(value) -> RejectionReason:
    """A required rejection reason."""
    if value in (None, ""):
        raise ValidationError(tr("Choose a reason for the rejection."), "rejection_reason")
    try:
        return RejectionReason(value)
    except ValueError:
        raise ValidationError(tr("Choose a reason for the rejection."), "rejection_reason") from None


def amount(value) -> Decimal:
    """A required contract amount in 万元: above zero, two decimals."""
    if value in (None, ""):
        raise ValidationError(tr("Enter the contract amount (10k yuan)."), "contract_amount")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError(tr("The contract amount must be a number."), "contract_amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(tr("The contract amount must be above zero."), "contract_amount")
    if amount > validators.MAX_AMOUNT:
        raise ValidationError(tr("The amount is too large: at most %(max)s (10k yuan).",
                                 max=f"{validators.MAX_AMOUNT:,}"), "contract_amount")
    return amount.quantize(Decimal("0.01"))


def contract_number(value: str | None) -> str:
    """A 技术合同登记号, spaces removed and upper-cased."""
    number = re.sub(r"\s+", "", value or "").upper()
    if not _CONTRACT_NUMBER.match(number):
        raise ValidationError(
            tr("The registration number has 14 to 20 digits or letters."), "contract_number"
        )
    return number


def clean(text: str | None) -> str | None:
    """Trimmed text (``validators.trim``), or None when nothing visible is left."""
    text = validators.trim(text or "")
    return text or None


def limit(text: str | None, most: int, field: str) -> None:
    """Refuse text longer than ``most`` characters (never truncate)."""
    if text is not None and len(text) > most:
        raise ValidationError(tr("At most %(n)d characters.", n=most), field)
