"""Template helpers for preference flags and patent families (see matching.rules, families)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..labels import engine_label
from ..records import Patent


def flag_label(entry) -> str:
    """The translated label of a stored flag entry, as plain (escapable) text.

    Jinja's ``_()`` marks its result safe, which must not happen to text from the database.
    """
    return engine_label(entry.get("label") if isinstance(entry, dict) else None)


def shown_flags(explanation) -> list[dict]:
    """The flags of an explanation that say something (value True or False), in stored order."""
    entries = (explanation or {}).get("flags") or (explanation or {}).get("rules") or []
    return [e for e in entries if isinstance(e, dict) and "value" in e and e["value"] is not None]


def family_patents(explanation) -> list:
    """The patents folded into a ranked slot as its family or near-duplicates, in rank order."""
    ids = [i for i in (explanation or {}).get("family") or [] if isinstance(i, int)]
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(select(Patent).where(Patent.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
