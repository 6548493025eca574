"""Safe parsing of untrusted ids, page numbers and redirect targets."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import abort
from werkzeug.routing import IntegerConverter

# Primary keys are signed 64-bit on PostgreSQL and SQLite; anything larger cannot exist, and
# passing it to the driver raises OverflowError / NumericValueOutOfRange (a 500).
INT64_MAX = 2**63 - 1
# The offset (page - 1) * page size must stay far inside 64 bits.
MAX_PAGE = 10**9
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Int64Converter(IntegerConverter):
    """``<int:...>`` bounded to signed 64-bit: a larger id is a 404, not a driver error."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT64_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def int_arg(args, name: str, default: int | None = None) -> int | None:
    """An integer query or form argument within 64 bits; ``default`` when absent or invalid."""
    value = args.get(name, type=int)
    if value is None or abs(value) > INT64_MAX:
        return default
    return value


def int_list(args, name: str) -> list[int]:
    """Integer list argument (``ids=1&ids=2``); values beyond 64 bits are dropped."""
    return [v for v in args.getlist(name, type=int) if abs(v) <= INT64_MAX]


def page_number(args) -> int:
    """The ``page`` argument: 1 when absent or malformed, 404 when beyond any real page."""
    try:
        page = int(args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    if page > MAX_PAGE:
        abort(404)
    return max(1, page)


def safe_next(target: str | None) -> str | None:
    """A same-site relative path to go back to, or None (never an open redirect)."""
    if not target:
        return None
    # CR/LF would split the Location header; other controls (also percent-encoded) have no
    # place in a path and browsers treat some of them (tab, NUL) inconsistently.
    if _CONTROL.search(target) or _CONTROL.search(unquote(target)):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:  # browsers read a backslash as a slash: "/\\evil.example"
        return None
    return target


def install(app) -> None:
    """Bound every ``<int:...>`` URL argument to 64 bits (call before blueprints register)."""
    app.url_map.converters["int"] = Int64Converter
