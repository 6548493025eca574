"""Cell parsers: raw values from any reader -> text, codes, choices and lists, or
ValidationError with a reason. Dates and amounts are parsed in ``dates_and_amounts``.

Every parser returns None for an empty cell; required-ness is checked by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from .. import validators
from ..errors import ValidationError
from ..reasons import reason
from ..regions import LEAGUES

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
