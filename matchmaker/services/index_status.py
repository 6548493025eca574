"""``index_status()``: what /healthz says about the matching indexes, from manifests only."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..encoders import parse_specs
from ..extensions import db
from ..indexing import collection_name, read_manifest
from ..matching.channels import SIDES
from ..matching.rows import offered_patents
from ..records import Need, NeedStatus, Patent


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
                                     .where(offered_patents())),
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
    directory = Path(root) / name
    try:
        manifest = read_manifest(directory)
    except ValueError:
        return {"name": name, "state": "corrupt", "count": 0}
    if manifest is None:
        return {"name": name, "state": "missing", "count": 0}
    # With the delta log merged: what every search sees (the base count until a change).
    count = manifest.extras.get("live_count", manifest.count)
    if any(not (directory / f).is_file() for f in manifest.files):
        return {"name": name, "state": "corrupt", "count": count}
    # Dense collections hold only the documents their encoder understands (an English-only
    # channel skips Chinese ones), so only the lexical count must equal the database's.
    stale = count != expected if lexical else count > expected
    return {"name": name, "state": "stale" if stale else "built", "count": count,
            "built_at": manifest.created_at, "version": manifest.version}
