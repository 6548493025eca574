"""Plain-text report of an import: a summary and the per-row error table (row | column | problem),
in the current locale (the CLI's language)."""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from ..reasons import listing, render
from .result import ImportResult, RowError


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def error_table(errors: list[RowError]) -> str:
    """The errors as an aligned table, sorted by row."""
    header = (pgettext("import table", "Row"), pgettext("import table", "Column"),
              pgettext("import table", "Problem"))
    rows = [header] + [
        (str(e.row), e.where, render(e.reason)) for e in sorted(errors, key=lambda e: e.row)
    ]
    first = max(_width(r[0]) for r in rows)
    second = max(_width(r[1]) for r in rows)
    lines = [f"{_pad(a, first)} | {_pad(b, second)} | {c}" for a, b, c in rows]
    lines.insert(1, f"{'-' * first}-+-{'-' * second}-+-{'-' * 4}")
    return "\n".join(lines)


def summary(result: ImportResult) -> str:
    """One paragraph: what was read, created, updated, left alone and refused."""
    counts = {"name": result.filename, "rows": result.rows, "created": result.created,
              "updated": result.updated, "unchanged": result.unchanged, "failed": result.failed}
    if result.kind == "needs":
        line = _("%(name)s: %(rows)d need rows read, %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged, %(failed)d failed", **counts)
    else:
        line = _("%(name)s: %(rows)d patent rows read, %(created)d created, %(updated)d updated, "
                 "%(unchanged)d unchanged, %(failed)d failed", **counts)
    lines = [line]
    if result.organizations_created:
        lines.append(ngettext("%(num)d organization created: %(names)s",
                              "%(num)d organizations created: %(names)s",
                              len(result.organizations_created),
                              names=listing(result.organizations_created)))
    if result.dry_run:
        lines.append(_("Dry run (--dry-run): only checked, the database was not changed"))
    elif result.failed:
        lines.append(_("Rows with errors were not imported; the other valid rows were saved"))
    lines.extend(_("Warning: %(text)s", text=render(warning)) for warning in result.warnings)
    return "\n".join(lines)


def format_report(result: ImportResult) -> str:
    """Summary followed by the error table (when there are errors)."""
    text = summary(result)
    if result.errors:
        text += "\n\n" + error_table(result.errors)
    return text
