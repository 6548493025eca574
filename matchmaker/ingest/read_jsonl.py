"""The JSON Lines reader: one JSON object per line, each line checked for length and nesting
before it is parsed, and a syntax error told in the reader's language (:func:`json_error`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..reasons import reason
from .result import ImportFileError, Malformed
from .table import Limits, Record, Table, too_long

#: what the json parser's (English) messages mean, by how they start; each shown translated
_JSON_PROBLEMS = (
    ("Expecting property name", "a key is not in double quotes (or a comma is left before “}”)"),
    ("Expecting ':'", "a colon is missing after a key"),
    ("Expecting ','", "a comma is missing between two items"),
    ("Expecting value", "a value is missing or is not valid JSON (text goes in double quotes)"),
    ("Unterminated string", "a text value is not closed with a double quote"),
    ("Invalid control character", "a text value holds a control character such as a tab; "
                                  "write it escaped"),
    ("Invalid \\", "a backslash escape is not valid (a backslash itself is written as two)"),
    ("Extra data", "more than one JSON value on the line"),
)


def json_error(exc: json.JSONDecodeError) -> str:
    """A JSON syntax error as a translated reason: where, and what kind when it is a common one
    (the parser's own message is English, so it is never shown)."""
    for prefix, problem in _JSON_PROBLEMS:
        if exc.msg.startswith(prefix):
            return reason("JSON format error at character %(column)d: %(problem)s; the row was not "
                          "imported", column=exc.colno, problem=reason(problem))
    return reason("JSON format error at character %(column)d; the row was not imported",
                  column=exc.colno)


def _too_deep(value: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _json_line(line: str, limits: Limits) -> Record:
    """One JSON Lines record, or why it is refused (length and nesting checked first)."""
    if len(line) > limits.max_line_chars:
        return Malformed(too_long(len(line), limits.max_line_chars))
    # Brackets bound the depth from above: only lines with many of them are walked.
    bracketed = line.count("[") + line.count("{") > limits.max_depth
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return Malformed(json_error(exc))
    except ValueError:  # an integer of thousands of digits (int_max_str_digits)
        return Malformed(reason("A number in this row is too long; the row was not imported"))
    except RecursionError:
        value = None
        bracketed = True
    if bracketed and (value is None or _too_deep(value, limits.max_depth)):
        return Malformed(reason("JSON nested deeper than %(limit)d levels; the row was not imported",
                                limit=limits.max_depth))
    if not isinstance(value, dict):
        return Malformed(reason("Each line must be one JSON object ({...})"))
    return value


def jsonl_table(data: bytes, limits: Limits) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(reason("A JSON Lines file must be UTF-8: invalid bytes in line %(line)d",
                                     line=line)) from exc
    # Records end at "\n" only: U+2028, U+0085 and the like are text inside a JSON string.
    lines = [line.removesuffix("\r") for line in text.split("\n")]

    def rows() -> Iterator[tuple[int, Record]]:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, _json_line(line, limits)

    return Table(rows(), None, sum(1 for line in lines if line.strip()))
