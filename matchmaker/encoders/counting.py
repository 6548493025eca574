"""How many texts each encoder encoded in this process, and for what.

"Every document is encoded once" is a target of the ingest path (issue 13), and a second,
silent encoding of 100k patents costs an hour on two cores. This counter makes that visible:
``Encoder.encode`` adds the texts (sentence windows) it encoded, ``encode_prepared`` adds the
documents they came from, under the purpose in effect ("documents" unless a caller says
"queries" or "sentences"). The import and match commands print ``summary()`` on stderr and
``bench/bench_ingest.py`` reads it. Counting is a dict update per call: always on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DOCUMENTS, QUERIES, SENTENCES = "documents", "queries", "sentences"
PREFIX = "encoded:"  # the start of the summary line the import and match commands print

_purpose: ContextVar[str] = ContextVar("matchmaker_encode_purpose", default=DOCUMENTS)
_lock = threading.Lock()
# (encoder name, purpose) -> [texts encoded, documents encoded]
_counts: dict[tuple[str, str], list[int]] = {}


@contextmanager
def purpose(name: str) -> Iterator[None]:
    """Count the encodings inside the block under ``name`` (e.g. ``QUERIES``)."""
    token = _purpose.set(name)
    try:
        yield
    finally:
        _purpose.reset(token)


def _add(encoder: str, slot: int, n: int) -> None:
    if n <= 0:
        return
    with _lock:
        _counts.setdefault((encoder, _purpose.get()), [0, 0])[slot] += n


def add_texts(encoder: str, n: int) -> None:
    """``encoder`` encoded ``n`` texts (called by ``Encoder.encode``)."""
    _add(encoder, 0, n)


def add_documents(encoder: str, n: int) -> None:
    """``encoder`` encoded ``n`` whole documents (their windows are counted as texts)."""
    _add(encoder, 1, n)


def snapshot() -> dict[str, dict[str, dict[str, int]]]:
    """{encoder: {purpose: {"texts": n, "documents": n}}} since the process started (or reset)."""
    with _lock:
        return _snapshot()


def _snapshot() -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    for (encoder, why), (texts, docs) in sorted(_counts.items()):
        out.setdefault(encoder, {})[why] = {"texts": texts, "documents": docs}
    return out


def take() -> dict[str, dict[str, dict[str, int]]]:
    """``snapshot()``, then forget the counts: what a worker process encoded since it last
    reported, for the process that started it (``absorb``)."""
    with _lock:
        taken = _snapshot()
        _counts.clear()
    return taken


def absorb(counts: dict[str, dict[str, dict[str, int]]]) -> None:
    """Add another process's counts (``take``) to this one's."""
    with _lock:
        for encoder, purposes in counts.items():
            for why, n in purposes.items():
                slot = _counts.setdefault((encoder, why), [0, 0])
                slot[0] += n["texts"]
                slot[1] += n["documents"]


def reset() -> None:
    """Forget the counts (tests)."""
    with _lock:
        _counts.clear()


def summary() -> str:
    """One line, e.g. ``encoded: use-multilingual documents 2000 docs / 2310 texts, sentences
    450 texts`` (``encoded: nothing`` when no encoder ran)."""
    parts = []
    for encoder, purposes in snapshot().items():
        shown = []
        for why, n in purposes.items():
            docs = f"{n['documents']} docs / " if n["documents"] else ""
            shown.append(f"{why} {docs}{n['texts']} texts")
        parts.append(f"{encoder} " + ", ".join(shown))
    return f"{PREFIX} " + ("; ".join(parts) if parts else "nothing")


REPORT_ENV = "MATCHMAKER_REPORT_ENCODING"


def echo_summary() -> None:
    """Print ``summary()`` on stderr when ``MATCHMAKER_REPORT_ENCODING=1`` (benchmarks such as
    bench/bench_ingest.py set it): a diagnostic line in English, kept out of the commands'
    normal output, which speaks the user's language."""
    if os.environ.get(REPORT_ENV) == "1":
        import click

        click.echo(summary(), err=True)
