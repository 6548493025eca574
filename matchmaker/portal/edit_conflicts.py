"""Two people editing one record: no change is lost without a word (a three-way check).

An edit form carries ``seen``: a short hash of each field's value as the form showed it. On
save, each field is compared three ways, by hash: what the form showed, what is stored now,
and what was posted.

- Nobody else changed anything: the save goes ahead.
- Someone else changed other fields than this person: both changes are kept (the other
  person's values go into the form before it is saved).
- Both changed the same field: nothing is saved; that field says so, shows what is stored now,
  and keeps what was typed; the form now counts as having seen the stored values, so saving
  again overwrites them deliberately.

Only hashes travel, so an edit page carries no more data than it shows. A value whose form
spelling differs from its stored spelling (a browser's line ends) may count as changed by this
person: at worst a conflict is reported that a second save resolves, never a change lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum

from flask_babel import gettext as _
from flask_wtf import FlaskForm

#: Characters of the stored value quoted in a conflict message.
QUOTE_CHARS = 120


def _canonical(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "\x1f".join(sorted(_canonical(v) for v in value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _digest(value) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:12]


def fingerprint(values: Mapping[str, object]) -> str:
    """``name:hash`` of each field, for the form's hidden ``seen`` field."""
    return ",".join(f"{name}:{_digest(value)}" for name, value in sorted(values.items()))


def _parse(seen: str | None) -> dict[str, str]:
    pairs = (part.partition(":") for part in (seen or "").split(",") if part)
    return {name: digest for name, _sep, digest in pairs if name and digest}


def _quote(value) -> str:
    text = _canonical(value).replace("\x1f", ", ")
    if not text:
        return _("(empty)")
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def reconcile(form: FlaskForm, stored: Mapping[str, object]) -> bool:
    """Before saving a valid edit ``form``: merge what others changed since it was shown.

    ``stored``: the record's values now, as the form's data (the view's ``_form_data``; a
    value whose field this user's form lacks, such as an admin-only one, is left alone). Returns False when this person and someone else
    changed the same field: those fields carry an error and ``seen`` is renewed, so the form
    is shown again and a second save overwrites. A form without ``seen`` (an old page) is
    saved as before.
    """
    seen = _parse(form.seen.data)
    if not seen:
        form.seen.data = fingerprint(stored)
        return True
    clashes = []
    for name, value in stored.items():
        if name not in seen or name not in form:
            continue
        if _digest(value) == seen[name]:
            continue  # nobody else touched it
        field = form[name]
        if _digest(field.data) == seen[name]:
            field.data = value  # only the other person changed it: keep their value
        else:
            clashes.append(field)
    form.seen.data = fingerprint(stored)
    for field in clashes:
        field.errors = [*field.errors, _(
            "Someone else changed this field while you were editing; it now reads: "
            "“%(value)s”. Yours is kept below: save again to replace theirs.",
            value=_quote(stored[field.name]))]
    return not clashes
