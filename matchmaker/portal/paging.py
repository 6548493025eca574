"""Pages of a list: ``db.paginate`` that never shows an empty page of a list that has rows."""

from __future__ import annotations

from ..extensions import db


def paginate(stmt, *, page: int, per_page: int):
    """Page ``page`` of ``stmt``; a page past the end shows the last one.

    ``?page=999999`` (an old bookmark, a list that shrank since) once said "no results" right
    under "1,354 results".
    """
    found = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if not found.items and page > 1 and found.total:
        found = db.paginate(stmt, page=found.pages, per_page=per_page, error_out=False)
    return found
