"""Format rules shared by the importers and the forms; each returns a normalised value."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .errors import ValidationError
from .reasons import reason

#: the largest amount (万元) a Numeric(14, 2) column holds: prices, budgets, contracts
MAX_AMOUNT = Decimal("999999999999.99")
#: the step of every amount: those columns keep two places, so more would be stored as typed
#: (SQLite) yet shown and exported rounded
CENT = Decimal("0.01")
#: the years a date typed into a form, sent to the API or read by an import may fall in: no
#: patent, need or event lies outside them, and years near 9999 overflow date arithmetic
#: (a patent's term end)
MIN_YEAR, MAX_YEAR = 1900, 2100
#: a phone number as people write one: digits, spaces, + ( ) -, 6 to 40 of them
PHONE_CHARS = re.compile(r"[0-9+()\- ]*")
PHONE_LENGTH = (6, 40)

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a checksum.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

# Publication numbers: office code, digits, kind code, e.g. CN114081026A, CN209876543U,
# US10123456B2, EP3456789A1, WO2020123456A1.
_PUBNO = re.compile(r"^([A-Z]{2})(\d{5,13})([A-Z]\d?)$", re.ASCII)
# IPC: section, class, subclass, main group / subgroup, e.g. H01F 1/057, C22C38/00. ASCII
# only, matched after NFKC: full-width Ｈ０１Ｆ becomes H01F there, while other scripts'
# digits (Arabic-Indic ٠١), which NFKC keeps, are no IPC code.
_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])\s*(\d{1,4})\s*/\s*(\d{1,6})$", re.ASCII)


# C0 control characters other than tab and line breaks, and DEL: never meant in a text field
# (NUL cannot even be stored in a PostgreSQL text column).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _blank(ch: str) -> bool:
    # White space, and invisible format characters (zero-width space and joiners, BOM, soft
    # hyphen: Unicode category Cf): a text made only of these looks empty on every screen.
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def trim(value: str) -> str:
    """``value`` without white space or invisible format characters at either end ("" when it
    holds nothing else: a title of zero-width spaces is no title)."""
    start, end = 0, len(value)
    while start < end and _blank(value[start]):
        start += 1
    while end > start and _blank(value[end - 1]):
        end -= 1
    return value[start:end]


def plain_text(value: str, field: str | None = None) -> str:
    """``value`` unchanged, or refused when it holds control characters (NUL, BEL, ESC ...)."""
    if _CONTROL.search(value):
        raise ValidationError(reason("Control characters (such as NUL) are not allowed in text"),
                              field)
    return value


def phone_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a phone number, or None when it reads as one: 6-40
    digits, spaces, + ( ) - (0472-5190101, +86 (472) 519 0101). Markup or words in a phone
    field are a typo or worse; "12345" is made of the right characters, so telling its writer
    which characters are allowed would send them looking for a wrong one."""
    text = value.strip()
    if not PHONE_CHARS.fullmatch(text):
        return reason("Enter digits, spaces, + ( ) or - only.")
    low, high = PHONE_LENGTH
    if not low <= len(text) <= high:
        return reason("A phone number has %(low)d–%(high)d characters.", low=low, high=high)
    return None


def phone_number(value: str) -> bool:
    """Whether ``value`` reads as a phone number (:func:`phone_problem` says why not)."""
    return phone_problem(value) is None


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to 0.01, as the import rounds: what is stored is what is
    shown. Bound the amount first (``MAX_AMOUNT``): 1e30 has too many digits to round."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def plausible_date(value: date) -> bool:
    """Whether ``value`` falls in ``MIN_YEAR``..``MAX_YEAR``; a date outside is a typo (9999 for
    2025), refused where it is typed so that no page has to guess what it meant."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def credit_code(value: str | None) -> str | None:
    """Validate a unified social credit code (统一社会信用代码); empty means none."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 18 or any(ch not in _USCC_ALPHABET for ch in code):
        raise ValidationError(reason("A unified social credit code has 18 digits or capital letters"),
                              "credit_code")
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        raise ValidationError(reason("The check character of the unified social credit code is wrong"),
                              "credit_code")
    return code


def credit_code_check_char(first17: str) -> str:
    """The checksum character for 17 leading characters (used to build demo codes)."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def publication_number(value: str | None) -> str:
    """Normalise a publication number: uppercase, no spaces or dots (CN 114081026 A -> CN114081026A)."""
    # NFKC first: full-width ＣＮ１２３ is the number CN123, not another one.
    raw = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", value or "")).upper()
    if not raw:
        raise ValidationError(reason("The publication number is empty"), "publication_number")
    if not _PUBNO.match(raw):
        raise ValidationError(
            reason("Not a publication number: %(value)s (e.g. CN114081026A, US10123456B2)",
                   value=repr(value)), "publication_number"
        )
    return raw


def need_ref(value: str | None) -> str | None:
    """A need number (``external_ref``) as stored: NFKC, trimmed, its case as typed; None when
    empty. Full-width ＤＥＭＯ－００１ is the number DEMO-001, as with publication numbers."""
    if value is None:
        return None
    return trim(unicodedata.normalize("NFKC", value)) or None


def need_ref_key(value: str) -> str:
    """What two need numbers are compared by: :func:`need_ref`, ignoring case (QA-N-001 and
    qa-n-001 name one need for people). Lower case, as SQL ``lower()`` compares stored ones."""
    return (need_ref(value) or "").lower()


def ipc_code(value: str) -> str:
    """Normalise one IPC code to ``H01F 1/057`` form (full-width forms too)."""
    m = _IPC.match(unicodedata.normalize("NFKC", value).strip().upper())
    if not m:
        raise ValidationError(reason("Not an IPC code: %(value)s (e.g. H01F 1/057)", value=repr(value)),
                              "ipc_codes")
    section, cls, sub, group, subgroup = m.groups()
    return f"{section}{cls}{sub} {int(group)}/{subgroup.zfill(2)}"


def ipc_codes(value: str | list[str] | None) -> list[str]:
    """Split a list of IPC codes on ``;`` ``,`` ``；`` ``，`` or newlines and normalise each."""
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[;,；，、\n]+", value)
    codes = [ipc_code(p) for p in parts if p and p.strip()]
    return list(dict.fromkeys(codes))


def max_length(value: str | None, limit: int, field: str) -> str | None:
    """Refuse (never truncate) text over ``limit`` characters."""
    if value is not None and len(value) > limit:
        raise ValidationError(reason("%(field)s is longer than %(limit)d characters (%(n)d)",
                                     field=field, limit=limit, n=len(value)), field)
    return value
