"""What ``/healthz`` reports: database reachability, record counts and index state."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select, text

from ..extensions import db
from ..records import Match, Need, Patent


def database_state() -> dict:
    """Counts of the main records, or ``reachable: False`` with the error's class name."""
    try:
        db.session.execute(text("SELECT 1"))
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (("patents", Patent), ("needs", Need), ("matches", Match))
        }
    except Exception as exc:  # reported, not raised: health must answer
        db.session.rollback()
        return {"reachable": False, "error": type(exc).__name__}
    return {"reachable": True, **counts}


def index_state(index_dir: str) -> list[dict]:
    """One entry per saved index: read from its JSON manifest, never from the index itself."""
    states = []
    for manifest in sorted(Path(index_dir).glob("*/manifest.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            states.append({"name": manifest.parent.name, "state": "unreadable"})
            continue
        states.append(
            {
                "name": manifest.parent.name,
                "state": "built",
                "encoder": data.get("encoder"),
                "count": data.get("count"),
                "built_at": data.get("created_at"),
                "index_type": data.get("index_type"),
            }
        )
    return states
