"""Cell parsers for dates and amounts: calendar dates in the usual Chinese forms (and Excel
serials), amounts and budgets in 万元. Each returns None for an empty cell or raises
ValidationError with a reason; required-ness is checked by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import validators
from ..errors import ValidationError
from ..reasons import Reason, reason
from ..validators import MAX_AMOUNT, MAX_YEAR, MIN_YEAR

_DATE_FORMS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})()(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})(年)(\d{1,2})月(\d{1,2})日?$"),
)


def _bad_date(value: Any) -> Reason:
    return reason("Not a date: %(value)s (accepted: 2021-03-05, 2021/3/5, 2021.03.05, 20210305)",
                  value=repr(value))


def parse_date(value: Any) -> date | None:
    """A calendar date from text in the usual Chinese forms, a date object or an Excel serial."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date):  # a date cell (XLSX), however far off
        return _in_range(value.date() if isinstance(value, datetime) else value, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= value <= 99991231:
            return parse_date(str(int(value)))  # 20210305 typed into a number cell
        if 1 <= value < 2958466:  # Excel serial day numbers (1900 date system)
            from openpyxl.utils.datetime import from_excel

            return _in_range(from_excel(value).date(), value)
        raise ValidationError(_bad_date(value))
    raw = unicodedata.normalize("NFKC", str(value)).strip()
    for form in _DATE_FORMS:
        match = form.match(raw)
        if match:
            year, _sep, month, day = match.groups()
            try:
                parsed = date(int(year), int(month), int(day))
            except ValueError:
                break
            return _in_range(parsed, str(value))
    raise ValidationError(_bad_date(str(value)))


def _in_range(parsed: date, value: Any) -> date:
    """``parsed`` when its year is 1900-2100 (text, date cells and Excel serials alike), else
    refused with the year as the reason (the form itself was understood)."""
    if MIN_YEAR <= parsed.year <= MAX_YEAR:
        return parsed
    shown = value if isinstance(value, str) else parsed.isoformat()
    raise ValidationError(reason(
        "The year of the date %(value)s must be between %(first)d and %(last)d",
        value=repr(shown), first=MIN_YEAR, last=MAX_YEAR))


def parse_amount(value: Any) -> Decimal | None:
    """An amount in 万元 (12.5, "12.5万", "1,200"); 面议 means none; refuses negatives."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError(reason("An amount is a number (in 10k yuan)"))
    if isinstance(value, int | float | Decimal):
        raw = str(value)
    else:
        raw = unicodedata.normalize("NFKC", str(value)).strip()
        raw = re.sub(r"[,\s]", "", raw)
        if raw in ("", "面议", "议价", "待定", "协商"):
            return None
        if raw.endswith("元") and not raw.endswith("万元"):
            raise ValidationError(reason("Amounts are in 10k yuan, not in yuan: %(value)s", value=repr(value)))
        raw = re.sub(r"万元?$", "", raw)
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(reason("Not an amount: %(value)s (in 10k yuan, e.g. 50 or 12.5)",
                                     value=repr(value))) from None
    if not amount.is_finite():
        raise ValidationError(reason("Not an amount: %(value)s", value=repr(value)))
    if amount < 0:
        raise ValidationError(reason("An amount cannot be negative: %(value)s", value=repr(value)))
    # Bounded before rounding: quantize() of 1e30 to cents exceeds Decimal's precision.
    if amount > MAX_AMOUNT:
        raise ValidationError(reason("The amount is too large: %(value)s", value=repr(value)))
    return validators.cents(amount)


_RANGE = re.compile(r"^(?P<low>[\d.]+)万?元?(?:-|~|—|–|至|到)(?P<high>[\d.]+)万?元?$")
_AT_LEAST = re.compile(r"^(?P<pre>≥|>=|不低于|至少)?(?P<n>[\d.]+)万?元?(?P<post>以上|起)?$")
_AT_MOST = re.compile(r"^(?P<pre>≤|<=|不超过|最多)?(?P<n>[\d.]+)万?元?(?P<post>以内|以下)?$")


def parse_budget(value: Any) -> tuple[Decimal | None, Decimal | None] | None:
    """A budget in 万元: "50-100" -> (50, 100), "50以上" -> (50, None), "80" or "80以内" -> (None, 80)."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return None, parse_amount(value)
    raw = re.sub(r"[,\s]", "", unicodedata.normalize("NFKC", str(value)))
    if raw in ("", "面议", "议价", "待定", "协商"):
        return None
    if match := _RANGE.match(raw):
        return parse_amount(match["low"]), parse_amount(match["high"])
    if (match := _AT_LEAST.match(raw)) and (match["pre"] or match["post"]):
        return parse_amount(match["n"]), None
    if (match := _AT_MOST.match(raw)) and (match["pre"] or match["post"]):
        return None, parse_amount(match["n"])
    try:
        return None, parse_amount(raw)
    except ValidationError:
        raise ValidationError(reason(
            "Not a budget: %(value)s (in 10k yuan, e.g. 50-100, ≥50, ≤100)", value=repr(value)
        )) from None
