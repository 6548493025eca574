"""Assignment rows of a pair's history, as people read them.

An assignment is stored as a history row whose reason reads "assign: <previous> -> <broker>
[(<why>)]": usernames, "-" for nobody. Usernames never change (display names do), so the row
names people for good and the pages show their names of today; the API returns the reason as
stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..records import MatchHistory, User
from .pipeline_checks import tr

ASSIGN_PREFIX = "assign:"  # history rows of assignments start with this
NOBODY = "-"
_ASSIGNMENT = re.compile(
    rf"^{re.escape(ASSIGN_PREFIX)}\s*(?P<previous>\S+)\s+->\s+(?P<broker>\S+)"
    r"(?:\s+\((?P<note>.*)\))?\s*$",
    re.DOTALL,
)


def is_assignment(entry: MatchHistory) -> bool:
    """True for the history rows that record an assignment rather than a move."""
    return entry.from_status == entry.to_status and (entry.reason or "").startswith(ASSIGN_PREFIX)


@dataclass(frozen=True)
class Assignment:
    """What an assignment row records: usernames (None: nobody) and the reason given."""

    previous: str | None
    broker: str | None
    note: str | None


def parse_assignment(entry: MatchHistory) -> Assignment | None:
    """The assignment an assignment row records; None for other rows and unreadable ones."""
    if not is_assignment(entry):
        return None
    found = _ASSIGNMENT.match(entry.reason)
    if found is None:
        return None
    previous, broker = (None if found[k] == NOBODY else found[k] for k in ("previous", "broker"))
    return Assignment(previous, broker, (found["note"] or "").strip() or None)


def assignment_line(entry: MatchHistory) -> str:
    """An assignment row as people read it, e.g. "assigned to 刘晓燕 (knows hydrogen)" or
    "reassigned from 张三 to 刘晓燕", with the brokers' display names of today."""
    found = parse_assignment(entry)
    if found is None:  # not in the stored form: say what happened, keep the text shown
        line, note = tr("assigned the pair"), entry.reason.removeprefix(ASSIGN_PREFIX).strip()
    else:
        names = _display_names([n for n in (found.previous, found.broker) if n])
        previous = names.get(found.previous, found.previous)
        broker = names.get(found.broker, found.broker)
        if broker is not None and previous is not None:
            line = tr("reassigned from %(previous)s to %(broker)s", previous=previous,
                      broker=broker)
        elif broker is not None:
            line = tr("assigned to %(broker)s", broker=broker)
        elif previous is not None:
            line = tr("unassigned from %(previous)s", previous=previous)
        else:
            line = tr("assigned the pair")
        note = found.note
    return tr("%(line)s (%(note)s)", line=line, note=note) if note else line


def _display_names(usernames: list[str]) -> dict[str, str]:
    """username -> display name; a user since deleted keeps being named by the username."""
    if not usernames:
        return {}
    rows = db.session.execute(
        select(User.username, User.display_name).where(User.username.in_(usernames)))
    return {username: display or username for username, display in rows}
