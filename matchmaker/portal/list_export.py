"""The needs and patents lists' export: the rows the list shows, as a CSV or XLSX download."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort
from flask_login import current_user

from ..extensions import db
from ..services import exports
from ..services.audit import record as audit
from . import search
from .needs.filters import EXPORT_LIMIT, RankedPage

FORMATS = ("csv", "xlsx")


def export_list(name: str, filters, fmt: str, table: Callable) -> Response:
    """The list ``name`` ("needs" or "patents") under ``filters`` as ``fmt``, audited.

    With a search, the rows are the ones the list shows: the semantic ones, in rank order, when
    the text search fell back to them; otherwise the filtered query, up to ``EXPORT_LIMIT``.
    ``table`` is ``exports.need_table`` or ``exports.patent_table``.
    """
    if fmt not in FORMATS:
        abort(404)
    records = None
    if filters.q:
        page, _info = search.results(filters, current_user, 1)
        if isinstance(page, RankedPage):
            records = [record for record, _score in page.all_items]
    if records is None:
        records = db.session.scalars(filters.query(current_user).limit(EXPORT_LIMIT)).all()
    headers, rows = table(records, current_user)
    audit(f"{name}_export", current_user, None, rows=len(rows), format=fmt)
    db.session.commit()
    body, mime = exports.file_bytes(headers, rows, fmt, name)
    return Response(body, content_type=mime,
                    headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
