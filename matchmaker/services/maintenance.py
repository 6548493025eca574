"""Database upkeep after bulk changes: fresh planner statistics."""

from __future__ import annotations

import logging
import time

from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)
#: Tables a bulk import or a batch run changes in volume (queue and list pages filter them).
BULK_TABLES = ("patents", "patent_ipc", "patent_licences", "needs", "matches", "organizations")


def analyze(tables: tuple[str, ...] = BULK_TABLES) -> float:
    """Run ANALYZE so the planner sees the new row counts; returns the seconds it took.

    Without it PostgreSQL kept estimating 2 rows for a broker's queue after a 100k import and
    chose a plan that took 140 s instead of milliseconds (issue 13).
    """
    started = time.perf_counter()
    db.session.commit()  # statistics describe committed data
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE " + ", ".join(tables)))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    seconds = time.perf_counter() - started
    log.info("ANALYZE took %.2f s", seconds)
    return seconds
