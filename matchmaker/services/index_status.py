"""``index_status()``: what /healthz says about the matching indexes, from manifests only."""

from __future__ import annotations

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..encoders import parse_specs
from ..extensions import db
from ..matching.channels import SIDES
from ..matching.rows import IN_FORCE
from ..records import Need, NeedStatus, Patent
from ..vectorindex import collection_name


def index_status() -> dict:
    """Encoders, per-collection counts and build times, and one overall state.

    state: "missing" (a collection was never built), "corrupt" (unreadable or built by another
    encoder/analyzer), "stale" (its count differs from the database's indexable records), or
    "built". Reads manifests only; loads no model.
    """
    config = current_app.config
    specs = list(dict.fromkeys(parse_specs(config["ENCODER"])
                               + parse_specs(config.get("EXTRA_ENCODERS", ""))))
    expected = {
        "patents": db.session.scalar(select(func.count()).select_from(Patent)
                                     .where(Patent.legal_status.in_(IN_FORCE))),
        "needs": db.session.scalar(select(func.count()).select_from(Need)
                                   .where(Need.status == NeedStatus.OPEN)),
    }
    collections, states = [], []
    root = config["INDEX_DIR"]
    for side in SIDES:
        for name in [f"{side}-bm25", *(collection_name(side, s) for s in specs)]:
            entry = _manifest_state(root, name, expected[side], lexical=name.endswith("-bm25"))
            entry["side"] = side
            collections.append(entry)
            states.append(entry["state"])
    for state in ("corrupt", "missing", "stale"):
        if state in states:
            overall = state
            break
    else:
        overall = "built"
    built = [c.get("built_at") for c in collections if c.get("built_at")]
    return {
        "encoder": config["ENCODER"],
        "encoders": specs,
        "state": overall,
        "count": next((c.get("count") for c in collections if c["name"] == "patents-bm25"), 0),
        "built_at": min(built) if built else None,
        "expected": expected,
        "collections": collections,
    }


def _manifest_state(root: str, name: str, expected: int, *, lexical: bool) -> dict:
    path = Path(root) / name / "manifest.json"
    if not path.is_file():
        return {"name": name, "state": "missing", "count": 0}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"name": name, "state": "corrupt", "count": 0}
    count = data.get("count", 0)
    files = ["bm25.npz", "vocab.json"] if lexical else list(data.get("files", {}))
    if any(not (path.parent / f).is_file() for f in files):
        return {"name": name, "state": "corrupt", "count": count}
    # Dense collections hold only the documents their encoder understands (an English-only
    # channel skips Chinese ones), so only the lexical count must equal the database's.
    stale = count != expected if lexical else count > expected
    return {"name": name, "state": "stale" if stale else "built", "count": count,
            "built_at": data.get("created_at"), "version": data.get("version")}
