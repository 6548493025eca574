"""The XLSX/XLSM reader: a zip bomb refused from the archive's directory, the first (or the
named) worksheet read whole with openpyxl, and formula cells saved without a calculated value
told apart from empty ones (:class:`~.result.Uncomputed`).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from ..reasons import reason
from .result import ImportFileError, Uncomputed
from .table import Limits, Table, is_empty, tabular

log = logging.getLogger(__name__)
# Members smaller than this are never refused for their ratio: a tiny, very regular XML part
# is harmless, only large inflating members cost memory.
_RATIO_FLOOR = 1024 * 1024


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: openpyxl reports that in its own words
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed:
        raise ImportFileError(reason(
            "The Excel file unpacks to %(size)d MB, over the limit of %(limit)d MB; split it into "
            "smaller files", size=round(total / 1e6), limit=round(limits.max_uncompressed / 1e6)))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise ImportFileError(reason(
                "“%(member)s” in the Excel file is compressed too much (%(ratio)d:1, limit "
                "%(limit)d:1); it may be a crafted file and was not imported",
                member=member.filename, ratio=round(ratio), limit=round(limits.max_ratio)))


def xlsx_table(data: bytes, sheet: str | None, limits: Limits) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        # the library's own words ("File is not a zip file") help nobody who uploads a file
        log.info("unreadable .xlsx upload: %s", exc)
        raise ImportFileError(reason(
            "The file is not a valid Excel workbook (.xlsx): save it again as .xlsx or CSV "
            "from Excel or WPS")) from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        names = list(workbook.sheetnames)
        workbook.close()
        raise ImportFileError(reason("No worksheet “%(sheet)s”; the file has: %(names)s",
                                     sheet=sheet, names=names))
    worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    # The whole sheet is read now, as a CSV is decoded whole: a sheet damaged after row 500
    # once failed the import after its first batch of rows was committed.
    try:
        # openpyxl keeps the sheet's part name only there (read-only mode)
        uncomputed = _uncomputed_formulas(data, worksheet._worksheet_path)
        rows = list(_sheet_rows(worksheet, uncomputed))
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError) as exc:
        # the library's own words are English and name XML internals: logged, not shown
        log.info("damaged worksheet: %s", exc)
        raise ImportFileError(reason(
            "The Excel file is damaged and cannot be read: save it again in Excel or WPS "
            "and import the new file")) from exc
    finally:
        workbook.close()

    def total(header_row: int) -> int:
        return sum(1 for number, cells in rows if number > header_row and not is_empty(cells))

    return tabular(iter(rows), total, strict_width=False)


def _sheet_rows(worksheet, uncomputed: dict[int, dict[int, str]]) -> Iterator[tuple[int, list]]:
    """(row number, cell values); a formula cell without a calculated value is :class:`Uncomputed`."""
    for cells in worksheet.iter_rows():
        # Empty rows carry no row number in read-only mode; they are skipped anyway.
        number = next((c.row for c in cells if getattr(c, "row", None)), None)
        if number is None:
            continue
        values = [c.value for c in cells]
        for column, formula in uncomputed.get(number, {}).items():
            values.extend([None] * (column - len(values)))
            values[column - 1] = Uncomputed(formula)
        yield number, values


def _uncomputed_formulas(data: bytes, member: str) -> dict[int, dict[int, str]]:
    """{row: {column: formula}} of the formula cells stored without a calculated value.

    openpyxl (``data_only``) reads such a cell as empty, so a price or a date silently went
    missing. The cell's XML tells them apart: a calculated value is ``<v>``, and an empty
    ``<v>`` is an empty text only in a text-typed cell (``t="str"``, e.g. ``=IF(A2="","",A2)``
    saved by Excel).
    """
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse  # defusedxml's, as openpyxl's own reader

    found: dict[int, dict[int, str]] = {}
    row = column = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(member.lstrip("/")) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    row, column = int(element.get("r") or row + 1), 0
                continue
            if tag == "c":
                ref = element.get("r")
                row, column = coordinate_to_tuple(ref) if ref else (row, column + 1)
                parts = {child.tag.rpartition("}")[2]: child for child in element}
                value = parts.get("v")
                if ("f" in parts and (value is None or not value.text)
                        and element.get("t") != "str"):
                    found.setdefault(row, {})[column] = parts["f"].text or ""
            elif tag == "row":
                element.clear()  # a large sheet is never held whole as XML
    return found
