"""Recompute the stored calibrated scores (``matches.calibrated``) after a new model.

The score is stored per pair when the engine proposes it; a refitted
``calibration_default.json`` (or another ``CALIBRATION_FILE``) changes what the same evidence
means, and the queue sorts and hides pairs by the stored number. ``flask recalibrate`` walks
every stored pair, whatever its status (a recommended pair's score is still shown), record by
record in the direction the pair was found (the need's list, or the dormant patent's), and
writes the score the engine now gives it (``matching.evidence.rescore``). Pairs of records
that no longer exist are left alone. Commits every ``batch`` records, so an interrupted run
keeps what it did and a rerun finishes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from ..extensions import db, yield_write_lock
from ..matching import rows as R
from ..matching.evidence import rescore
from ..records import Match, Need, Patent
from . import scores
from .matching import service


def _groups() -> dict[tuple[str, int], list[int]]:
    """(direction, query record id) -> the ids of its stored matches."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    rows = db.session.execute(select(Match.id, Match.need_id, Match.patent_id,
                                     Match.explanation).order_by(Match.id))
    for match_id, need_id, patent_id, explanation in rows:
        if (explanation or {}).get("direction") == "patent":
            groups[("patent", patent_id)].append(match_id)
        else:
            groups[("need", need_id)].append(match_id)
    return groups


def _progress(items: list, progress: bool) -> Iterator:
    if not progress:
        return iter(items)
    from tqdm import tqdm  # stderr progress bar for the CLI

    return iter(tqdm(items, desc="recalibrating", unit="record"))


def recalibrate(*, batch: int = 100, progress: bool = False) -> dict:
    """Recompute every stored pair's calibrated score; returns counts.

    ``pairs``: scores written, ``changed``: of those, how many differ from before,
    ``records``: needs and patents whose lists were scored, ``missing``: pairs skipped
    because their record is gone.
    """
    svc = service()
    engine = svc.engine
    totals = {"pairs": 0, "changed": 0, "records": 0, "missing": 0}
    groups = _groups()
    for done, ((direction, record_id), match_ids) in enumerate(
            _progress(sorted(groups.items()), progress), start=1):
        matches = db.session.scalars(select(Match).where(Match.id.in_(match_ids))).all()
        if direction == "need":
            record, side = db.session.get(Need, record_id), "patents"
            query = R.prepare_need_row(record) if record is not None else None
            others = [m.patent_id for m in matches]
        else:
            record, side = db.session.get(Patent, record_id), "needs"
            query = R.prepare_patent_row(record) if record is not None else None
            others = [m.need_id for m in matches]
        if query is None:
            totals["missing"] += len(matches)
            continue
        svc.ready(side)
        for match, score in zip(matches, rescore(engine, side, query, others), strict=True):
            totals["changed"] += int(match.calibrated != score)
            match.calibrated = score
            if match.explanation and "calibrated" in match.explanation:  # a new dict: saved
                match.explanation = {**match.explanation, "calibrated": score,
                                     "band": scores.band(score)}
            totals["pairs"] += 1
        totals["records"] += 1
        if done % batch == 0:
            db.session.commit()
            yield_write_lock()  # SQLite: the portal's writes get in between two batches
    db.session.commit()
    return totals
