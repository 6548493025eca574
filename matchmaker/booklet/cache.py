"""Rendered booklets kept in the instance folder, under a key of everything they print.

Laying out a booklet's PDF takes seconds (fpdf2 setting CJK text and drawing QR codes); reading
what it says takes milliseconds. So the portal reads the content on every click and serves a
PDF rendered before when its key matches, and a job renders it otherwise
(:mod:`matchmaker.jobs.booklet`). The key is a digest of:

- every column of the event, of each listed patent and of its owner, and every printed text
  derived from them (summary, highlights, facts, terms, the showcase links);
- the contact line, the organiser and the language;
- the font files and the booklet's own code and the compiled catalogs.

A change to any of them gives another key, so a stale PDF is never served; storing a new one
removes the event's older files.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import inspect as sa_inspect

from .content import Booklet
from .fonts import FontChoice

PACKAGE = Path(__file__).resolve().parent
#: The catalogs and code whose words and layout end up in the PDF.
CODE = (PACKAGE, PACKAGE.parent / "labels.py", PACKAGE.parent / "reasons.py")


def booklet_key(booklet: Booklet, font: FontChoice, locale: str) -> str:
    """The digest of everything ``booklet`` prints in ``locale`` with ``font`` (hex)."""
    digest = hashlib.sha256()

    def feed(value) -> None:
        digest.update(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(b"\0")

    feed([CODE_DIGEST, str(locale), font.path, font.index, font.bold_path,
          _stamp(font.path), _stamp(font.bold_path)])
    feed(_columns(booklet.event))
    for page in booklet.pages:
        patent = page.patent
        feed([page.number, page.on_stage, page.summary, page.highlights, page.application,
              page.url, page.facts, page.maturity, page.terms, _columns(patent),
              _columns(patent.owner) if patent.owner is not None else None])
    feed([asdict(booklet.contact), booklet.organiser, booklet.showcase_url])
    return digest.hexdigest()


def booklet_dir(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / "booklets"


def stored_pdf(instance_path: str | os.PathLike, event_id: int, locale: str,
               key: str) -> Path | None:
    """The PDF rendered before for this key, or None."""
    path = _path(instance_path, event_id, locale, key)
    return path if path.is_file() else None


def store_pdf(instance_path: str | os.PathLike, event_id: int, locale: str, key: str,
              data: bytes) -> Path:
    """Keep ``data`` under ``key`` (written whole or not at all); the event's older files in
    the same language go (each language keeps its own)."""
    path = _path(instance_path, event_id, locale, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    for older in path.parent.glob(f"{_prefix(event_id, locale)}*.pdf"):
        if older != path:
            older.unlink(missing_ok=True)
    return path


def kept_file(instance_path: str | os.PathLike, event_id: int, name: str | None) -> Path | None:
    """The kept PDF of event ``event_id`` called ``name`` (as a booklet job reports it), or
    None: a name that is not one of that event's files is refused."""
    if not name or Path(name).name != name or not name.startswith(f"event-{int(event_id)}-"):
        return None
    path = booklet_dir(instance_path) / name
    return path if path.suffix == ".pdf" and path.is_file() else None


def forget_event(instance_path: str | os.PathLike, event_id: int) -> int:
    """Remove every kept PDF of event ``event_id`` (the event was deleted: on SQLite the next
    event may take its id); returns how many."""
    removed = 0
    for path in booklet_dir(instance_path).glob(f"event-{int(event_id)}-*.pdf"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _prefix(event_id: int, locale: str) -> str:
    language = "".join(c for c in str(locale) if c.isalnum() or c == "_") or "default"
    return f"event-{int(event_id)}-{language}-"


def _path(instance_path: str | os.PathLike, event_id: int, locale: str, key: str) -> Path:
    return booklet_dir(instance_path) / f"{_prefix(event_id, locale)}{key[:32]}.pdf"


def _columns(row) -> dict:
    """Every mapped column of ``row`` by name."""
    return {attr.key: getattr(row, attr.key) for attr in sa_inspect(row).mapper.column_attrs}


def _stamp(path: str | None) -> list | None:
    """A file's size and modification time (None when there is no such file)."""
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _digest_code() -> str:
    """Read at import, with the code: a process whose first booklet came after the files
    changed would otherwise key with code it does not run (QA, stop 35: a web worker and the
    job worker keyed the same booklet apart, and every click queued a job)."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for place in CODE:
        files.extend(sorted(place.rglob("*.py")) if place.is_dir() else [place])
    files.extend(sorted(PACKAGE.parent.rglob("messages.mo")))
    for file in files:
        digest.update(str(file.relative_to(PACKAGE.parent)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


CODE_DIGEST = _digest_code()
