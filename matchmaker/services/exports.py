"""CSV and XLSX exports of needs and patents, safe to open in a spreadsheet.

Every text cell that a spreadsheet could read as a formula (starting with ``=`` ``+`` ``-``
``@``, tab or carriage return) gets one leading single quote (OWASP "CSV injection"), and
nothing else in the text changes; the CSV writes every text cell in double quotes, as OWASP
also asks, so no ``,`` ``;`` or tab inside a cell separates cells. The import removes exactly
that quote again (``ingest.values.text``), so an export imported back is unchanged.

Not covered: a spreadsheet told to split a row on ``;`` (not the file's ``,``) loses track of
the quotes after the first cell and may start a cell after a ``;`` inside the text. Quotes
inserted there (as before) changed the data of every re-import; the files are comma-separated.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..labels import label
from ..records import Need, Patent, User
from .access import can_see_contacts, shows_need_owner
from .record_checks import _

# A formula starts with = + - @, tab or CR. Text whose first such character follows quotes
# ("'=x" as someone typed it) gets one more quote too, so that removing one on import gives
# back exactly what was stored.
_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")


def escape_cell(value):
    """Neutralise a text cell that a spreadsheet would run as a formula; other types pass."""
    if isinstance(value, str) and _NEEDS_ESCAPE.match(value):
        return "'" + value
    return value


def _plain(value):
    """A cell value: enums as labels, lists joined, booleans as words, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return "; ".join(str(_plain(v)) for v in value)
    if isinstance(value, datetime):  # stored in UTC: the user's time zone, to the minute, as on screen
        return to_user_timezone(value).replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, int | float | Decimal | date):
        return value
    return str(value)


def csv_bytes(headers: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows Chinese text correctly."""
    buffer = io.StringIO()
    # Every text cell quoted (numbers not): a "," ";" or tab inside one separates nothing.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([escape_cell(h) for h in headers])
    for row in rows:
        cells = []
        for value in row:
            value = _plain(value)
            if isinstance(value, date | datetime):
                value = (value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime)
                         else value.isoformat())
            cells.append(escape_cell(value))
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(headers: list[str], rows: Iterable[list], title: str = "export") -> bytes:
    """An XLSX workbook with one sheet; text cells escaped, numbers and dates kept typed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([escape_cell(h) for h in headers])
    for row in rows:
        cells = []
        for value in row:
            value = _plain(value)
            if isinstance(value, str):
                # openpyxl refuses control characters; they carry no meaning in a cell anyway.
                value = escape_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def need_table(needs: Iterable[Need], user: User) -> tuple[list[str], list[list]]:
    """Headers and rows for needs; enterprise contacts only for users allowed to see them, and
    a brokers-only need's enterprise, reference and county only where the pages show them
    (``access.shows_need_owner``). Hidden cells stay in place so every row has the headers'
    columns."""
    contacts = can_see_contacts(user)
    headers = [
        _("ID"), _("Reference"), _("Title"), _("Enterprise"), _("Technical field"),
        _("Keywords"), _("Budget from (10k yuan)"), _("Budget to (10k yuan)"),
        _("Cooperation mode"), _("Deadline"), _("League or city"), _("County or district"),
        _("Status"), _("Confidentiality"), _("Description"), _("Posted at"),
    ]
    if contacts:
        headers += [_("Contact person"), _("Contact phone"), _("Contact email")]
    rows = []
    for n in needs:
        org = n.enterprise
        owner = shows_need_owner(user, n)
        row = [
            n.id, n.external_ref if owner else None, n.title,
            (org.name if org else None) if owner else _("Disclosed by the broker"),
            n.technical_field, list(n.keywords or []), n.budget_min, n.budget_max,
            n.cooperation_mode, n.deadline, n.region_league, n.region_county if owner else None,
            n.status, n.confidentiality, n.description, n.created_at,
        ]
        if contacts:
            row += [org.contact_name, org.contact_phone, org.contact_email] if org else [None] * 3
        rows.append(row)
    return headers, rows


def patent_table(patents: Iterable[Patent], user: User) -> tuple[list[str], list[list]]:
    """Headers and rows for patents; owner contacts only for users allowed to see them."""
    contacts = can_see_contacts(user)
    headers = [
        _("Publication number"), _("Application number"), _("Patent type"), _("Title"),
        _("Applicants"), _("Inventors"), _("Legal status"), _("Filing date"), _("Grant date"),
        _("Annual fee due"), _("IPC codes"), _("Licensing modes"), _("Asking price (10k yuan)"),
        _("Dormant"), _("Technical field"), _("Owner"), _("Abstract"),
    ]
    if contacts:
        headers += [_("Contact note"), _("Contact person"), _("Contact phone"), _("Contact email")]
    rows = []
    for p in patents:
        owner = p.owner
        row = [
            p.publication_number, p.application_number, p.patent_type, p.title, p.applicants,
            p.inventors, p.legal_status, p.filing_date, p.grant_date, p.fee_due_date,
            p.ipc_codes, p.licensing_modes, p.asking_price, p.dormant, p.technical_field,
            owner.name if owner else None, p.abstract,
        ]
        if contacts:
            row.append(p.contact_note)
            row += (
                [owner.contact_name, owner.contact_phone, owner.contact_email] if owner
                else [None] * 3
            )
        rows.append(row)
    return headers, rows


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_bytes(headers: list[str], rows: Iterable[list], fmt: str, title: str) -> tuple[bytes, str]:
    """The export as (body, content type) for ``fmt`` "csv" (UTF-8 with BOM) or "xlsx"; the
    content type is complete (a response takes it as ``content_type``, not ``mimetype``,
    which would add the charset a second time)."""
    if fmt == "csv":
        return csv_bytes(headers, rows), "text/csv; charset=utf-8"
    return xlsx_bytes(headers, rows, title), XLSX_MIME
