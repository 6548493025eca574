"""Cell parsers: raw values from any reader -> typed values, or ValidationError with a reason.

Every parser returns None for an empty cell; required-ness is checked by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from .. import validators
from ..errors import ValidationError
from ..reasons import Reason, reason
from ..regions import LEAGUES
from ..validators import MAX_YEAR, MIN_YEAR

MAX_AMOUNT = validators.MAX_AMOUNT
# Exports escape formula-looking text with one leading quote (services.exports.escape_cell:
# before = + - @ tab CR, or before quotes that come before one); importing drops exactly it.
_FORMULA_ESCAPE = re.compile(r"^'(?='*[=+\-@\t\r])")
_LIST_SEPARATORS = re.compile(r"[;,；，、|\n]+")


def text(value: Any) -> str | None:
    """Clean text: stripped, None when empty; numbers keep their written form (12.0 -> "12")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.date() if isinstance(value, datetime) else value
        return value.isoformat()
    if isinstance(value, list | tuple):
        parts = [t for t in (text(v) for v in value) if t]
        return "；".join(parts) or None
    if isinstance(value, dict):
        raise ValidationError(reason("Expected text, not a JSON object"))
    cleaned = _FORMULA_ESCAPE.sub("", validators.trim(str(value)).replace("\r\n", "\n"))
    return validators.plain_text(cleaned) or None


def limited_text(limit: int, label: str) -> Callable[[Any], str | None]:
    """A text parser that refuses (never truncates) text over ``limit`` characters."""

    def parse(value: Any) -> str | None:
        return validators.max_length(text(value), limit, label)

    return parse


def family_id(limit: int, label: str) -> Callable[[Any], str | None]:
    """A family or priority number: NFKC, spaces removed, upper case; refused when too long."""

    def parse(value: Any) -> str | None:
        found = text(value)
        if found is None:
            return None
        found = re.sub(r"\s+", "", unicodedata.normalize("NFKC", found)).upper()
        return validators.max_length(found or None, limit, label)

    return parse


def need_ref(limit: int, label: str) -> Callable[[Any], str | None]:
    """A need number as the form stores it (``validators.need_ref``: NFKC, trimmed, its case
    kept); refused when too long."""

    def parse(value: Any) -> str | None:
        return validators.max_length(validators.need_ref(text(value)), limit, label)

    return parse


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


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


_TRUE = {"是", "true", "yes", "y", "1", "t", "√", "休眠"}
_FALSE = {"否", "false", "no", "n", "0", "f", "×", "非休眠"}


def parse_bool(value: Any) -> bool | None:
    """Yes/no from 是/否, true/false, 1/0 or a real boolean."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    folded = _fold(str(value))
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValidationError(reason("Expected yes/no (or true/false, 1/0): %(value)s", value=repr(value)))


def enum_parser(names: dict[Enum, tuple[str, ...]]) -> Callable[[Any], Enum | None]:
    """A parser accepting each member's code and the listed Chinese/English names."""
    table: dict[str, Enum] = {}
    for member, words in names.items():
        for word in (member.value, *words):
            table[_fold(word)] = member
    # The accepted values in the reader's language, chosen when the report is read: the English
    # message lists the codes (always accepted, docs/import-formats.md), its Chinese
    # translation the Chinese names. Both lists travel as parameters, so a stored report reads
    # right in either language.
    codes = [member.value for member in names]
    chinese = [words[0] for words in names.values()]

    def parse(value: Any) -> Enum | None:
        cleaned = text(value)
        if cleaned is None:
            return None
        member = table.get(_fold(cleaned))
        if member is None:
            raise ValidationError(reason("Unknown value “%(value)s” (accepted: %(codes)s)",
                                         value=cleaned, codes=codes, names=chinese))
        return member

    return parse


def split_list(value: Any) -> list[str]:
    """Split a cell on ; , ； ， 、 | or newlines (a JSON list is taken as it is)."""
    if value is None:
        return []
    parts = value if isinstance(value, list | tuple) else _LIST_SEPARATORS.split(str(value))
    return [t for t in (text(p) for p in parts) if t]


def enum_list_parser(names: dict[Enum, tuple[str, ...]]) -> Callable[[Any], list[Enum] | None]:
    """Several enum values in one cell, e.g. "转让、普通许可"."""
    one = enum_parser(names)

    def parse(value: Any) -> list[Enum] | None:
        parts = split_list(value)
        if len(parts) == 1 and re.search(r"\s", parts[0]):
            # "转让 普通许可": spaces may separate names, but never split a known name
            try:
                return [one(parts[0])]
            except ValidationError:
                parts = parts[0].split()
        members = [one(p) for p in parts]
        return list(dict.fromkeys(members)) or None

    return parse


_IPC_VERSION = re.compile(r"\(\d{4}\.\d{2}\)[A-Z]?")


def parse_ipc(value: Any) -> list[str] | None:
    """IPC codes, normalised (H01F 1/057); version suffixes like (2006.01) are dropped."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = [_IPC_VERSION.sub("", str(v)) for v in value]
    else:
        value = _IPC_VERSION.sub("", unicodedata.normalize("NFKC", str(value)))
    codes = validators.ipc_codes(value)
    return codes or None


def parse_publication_number(value: Any) -> str | None:
    """A normalised publication number (CN 114081026 A -> CN114081026A)."""
    cleaned = text(value)
    if cleaned is None:
        return None
    return validators.publication_number(unicodedata.normalize("NFKC", cleaned))


def keywords_parser(max_count: int, max_chars: int) -> Callable[[Any], list[str] | None]:
    """Keywords split on the usual separators (or on spaces between Chinese words)."""

    def parse(value: Any) -> list[str] | None:
        words = split_list(value)
        if len(words) == 1 and re.search(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]", words[0]):
            words = words[0].split()
        words = list(dict.fromkeys(words))
        if len(words) > max_count:
            raise ValidationError(reason("At most %(limit)d keywords (%(n)d given)",
                                         limit=max_count, n=len(words)))
        for word in words:
            if len(word) > max_chars:
                raise ValidationError(reason("The keyword “%(word)s…” is longer than %(limit)d characters",
                                             word=word[:10], limit=max_chars))
        return words or None

    return parse


def parse_league(value: Any) -> str | None:
    """One of Inner Mongolia's 12 盟市; "包头" is completed to "包头市"."""
    cleaned = text(value)
    if cleaned is None:
        return None
    for candidate in (cleaned, cleaned + "市", cleaned + "盟"):
        if candidate in LEAGUES:
            return candidate
    raise ValidationError(reason("“%(value)s” is not a league or city of Inner Mongolia (one of: %(choices)s)",
                                 value=cleaned, choices=list(LEAGUES)))
