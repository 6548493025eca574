"""Figures of the quality page (质量看板): how good the ranking is and what brokers make of it.

Read-only over the pipeline (one query over decided pairs with their history) and the stored
evaluation runs; nothing here runs an evaluation or a model.
"""

from __future__ import annotations

import functools
import json
import logging
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..matching.calibration import DEFAULT_FILE, expected_calibration_error
from ..records import Match, MatchHistory, MatchStatus, Need, User
from ..services import scores
from .labels import derive

log = logging.getLogger(__name__)

SIGNED = (MatchStatus.SIGNED, MatchStatus.REGISTERED)
WEEKS = 12


def band(calibrated: int | None) -> str:
    """The band brokers see on every page (高 / 中 / 低 of the calibrated score); a pair stored
    without one is "not calibrated"."""
    code = scores.band(calibrated)
    return scores.band_label(code) if code else _("not calibrated")


def bands() -> list[str]:
    """The band names in the page's order, best first."""
    return [*(scores.band_label(code) for code in ("high", "medium", "low")), band(None)]


@dataclass
class Rate:
    """Accepted out of decided, for one group."""

    name: str
    accepted: int = 0
    decided: int = 0

    @property
    def rate(self) -> float:
        return self.accepted / self.decided if self.decided else 0.0


@dataclass
class Quality:
    """Everything the page shows."""

    evaluations: list[dict] = field(default_factory=list)
    by_week: list[Rate] = field(default_factory=list)
    by_field: list[Rate] = field(default_factory=list)
    by_band: list[Rate] = field(default_factory=list)
    by_broker: list[Rate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reasons_by_week: list[tuple[str, dict]] = field(default_factory=list)
    first_action_days: dict = field(default_factory=dict)
    conversion: list[Rate] = field(default_factory=list)  # signed out of all pairs per band
    model_versions: list[tuple[str | None, int]] = field(default_factory=list)
    # the calibrated score against the brokers' decisions: bins of (predicted, observed)
    calibration: list[dict] = field(default_factory=list)
    calibration_ece: float | None = None
    calibration_pairs: int = 0


def evaluations(directory: str | None) -> list[dict]:
    """Stored evaluation runs (one JSON object per file), by task and mode."""
    found = []
    folder = Path(directory) if directory else None
    if folder is None or not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("evaluation file %s unreadable: skipped", path)
            continue
        if isinstance(data, dict) and "task" in data:
            found.append(data)
    return sorted(found, key=lambda d: (d["task"], d.get("mode", "")))


@functools.lru_cache(maxsize=4)
def _read_manifest(path: str, mtime_ns: int) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(manifest, dict):
        return {}
    # a side's model (the needs a patent finds) reports its own tasks' held-out error beside
    # the main model's: each task is scored by one of them
    by_task = dict(manifest.get("ece_held_out_by_task") or {})
    for part in (data.get("sides") or {}).values():
        side = part.get("manifest") if isinstance(part, dict) else None
        if isinstance(side, dict):
            by_task.update(side.get("ece_held_out_by_task") or {})
    return {**manifest, "ece_held_out_by_task": by_task}


def calibration_manifest(path: str | None = None) -> dict:
    """The manifest of the calibration model in use (``CALIBRATION_FILE``, else the packaged
    one): when it was fitted, on what, and its held-out error per task; {} when unreadable."""
    target = Path(path) if path else DEFAULT_FILE
    try:
        return _read_manifest(str(target), target.stat().st_mtime_ns)
    except OSError:
        return {}


def _week(when: datetime) -> str:
    return (when - timedelta(days=when.weekday())).strftime("%Y-%m-%d")


def _rates(counter: dict[str, list[int]], order=None) -> list[Rate]:
    names = order or sorted(counter, key=lambda n: -counter[n][1])
    return [Rate(n, *counter[n]) for n in names if n in counter]


def overview(evaluation_dir: str | None) -> Quality:
    """Compute the page's figures."""
    q = Quality(evaluations=evaluations(evaluation_dir))
    rows = db.session.execute(
        select(Match.id, Match.status, Match.rejection_reason, Match.enterprise_feedback,
               Match.calibrated, Match.created_at, Match.status_changed_at, Need.technical_field,
               User.display_name)
        .join(Need, Need.id == Match.need_id)
        .outerjoin(User, User.id == Match.broker_id)
        .where(Match.status != MatchStatus.CANDIDATE)).all()
    history: dict[int, list[tuple[datetime, str, bool]]] = defaultdict(list)
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 500):
        for match_id, at, status, actor in db.session.execute(
                select(MatchHistory.match_id, MatchHistory.at, MatchHistory.to_status,
                       MatchHistory.actor_id)
                .where(MatchHistory.match_id.in_(ids[start:start + 500]))):
            history[match_id].append((at, str(status), actor is not None))
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fields: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_band: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    brokers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    reasons: dict[str, Counter] = defaultdict(Counter)
    waits, scored = [], []
    for r in rows:
        moves = sorted(history.get(r.id, []))
        grade = derive(str(r.status), rejection_reason=r.rejection_reason,
                       feedback=r.enterprise_feedback, reached=[s for _, s, _ in moves]).grade
        accepted = int(grade is not None and grade >= 2)
        if grade is not None and r.calibrated is not None:  # a labelled decision on a score
            scored.append((r.calibrated / 100.0, accepted))
        week = _week(r.status_changed_at)
        for bucket, key in ((weeks, week), (fields, r.technical_field or ""),
                            (by_band, band(r.calibrated)), (brokers, r.display_name or "")):
            bucket[key][0] += accepted
            bucket[key][1] += 1
        if r.status is MatchStatus.REJECTED:
            reasons[week][str(r.rejection_reason or "other")] += 1
        # A person's first move: the automatic ones (a lapsed patent, a closed need) are no
        # broker's response time; never below zero (a record dated before its pair, imported).
        first = next((at for at, s, person in moves
                      if person and s != MatchStatus.CANDIDATE.value), None)
        if first is not None and r.created_at is not None:
            waits.append(max(0.0, (first - r.created_at).total_seconds() / 86400))
    q.by_week = _rates(weeks, sorted(weeks)[-WEEKS:])
    q.by_field = _rates(fields)
    q.by_band = _rates(by_band, bands())
    q.by_broker = _rates(brokers)
    q.reasons = sorted({reason for c in reasons.values() for reason in c})
    q.reasons_by_week = [(w, dict(reasons[w])) for w in sorted(reasons)[-WEEKS:]]
    if waits:
        waits.sort()
        q.first_action_days = {"pairs": len(waits), "median": statistics.median(waits),
                               "p90": waits[min(len(waits) - 1, int(0.9 * len(waits)))]}
    if scored:
        predicted, observed = zip(*scored, strict=True)
        q.calibration_ece, q.calibration = expected_calibration_error(
            np.array(predicted), np.array(observed, dtype=float))
        q.calibration_pairs = len(scored)
    q.conversion = _conversion()
    q.model_versions = [(v, n) for v, n in db.session.execute(
        select(Match.model_version, func.count()).group_by(Match.model_version)
        .order_by(func.count().desc()))]
    return q


def _conversion() -> list[Rate]:
    """Per score band: pairs that became signed contracts out of all pairs proposed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for calibrated, status in db.session.execute(select(Match.calibrated, Match.status)):
        counts[band(calibrated)][0] += int(status in SIGNED)
        counts[band(calibrated)][1] += 1
    return _rates(counts, bands())
