"""``LexicalStore``: a persisted BM25 collection with the same life cycle as ``IndexStore``.

Layout ``<root>/<name>/{bm25.npz, vocab.json, manifest.json}``; the manifest is written last
and carries a ``version`` bumped on every save, so each worker notices another's save
(``is_stale``) and reloads. Writers hold an exclusive ``flock`` on ``<root>/<name>.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import IndexUnusable
from .lexical import Analyzer, BM25Index

log = logging.getLogger(__name__)


def _unusable(reason: str, message: str) -> IndexUnusable:
    exc = IndexUnusable(f"{message}; run `flask build-index`")
    exc.reason = reason
    return exc


class LexicalStore:
    """A lazily loaded, persisted ``BM25Index``."""

    def __init__(self, root: str | Path, name: str, *, analyzer: Analyzer | None = None,
                 k1: float = 1.2, b: float = 0.75, stale_interval: float = 1.0):
        self.root = Path(root)
        self.name = name
        self.directory = self.root / name
        self.lock_path = self.root / f"{name}.lock"
        self.analyzer = analyzer or Analyzer()
        self.k1, self.b = k1, b
        self.stale_interval = stale_interval
        self._index: BM25Index | None = None
        self._version: int | None = None
        self._checked_at = 0.0
        self._stale = False

    def new_index(self) -> BM25Index:
        """An empty index with this store's parameters."""
        return BM25Index(k1=self.k1, b=self.b, analyzer=self.analyzer)

    def exists(self) -> bool:
        """True when a manifest is on disk."""
        return (self.directory / "manifest.json").is_file()

    @property
    def loaded(self) -> bool:
        """True once an index is held in memory."""
        return self._index is not None

    def manifest(self) -> dict | None:
        """The saved manifest, None when absent; IndexUnusable("corrupt") when unreadable."""
        try:
            return json.loads((self.directory / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise _unusable("corrupt", f"lexical index {self.name!r}: bad manifest") from exc

    def get(self) -> BM25Index:
        """The index, loaded on first use. Raises IndexUnusable (missing/corrupt/mismatch)."""
        if self._index is None:
            with self._locked(fcntl.LOCK_SH):
                self._load()
        return self._index

    def fresh(self) -> BM25Index:
        """``get()``, reloading first when another process saved a newer version."""
        if self._index is not None and self.is_stale():
            self._index = None
        return self.get()

    def is_stale(self) -> bool:
        """True when the saved version differs from the one in memory (cheap, rate-limited)."""
        if self._index is None:
            return False
        now = time.monotonic()
        if now - self._checked_at >= self.stale_interval:
            self._checked_at = now
            try:
                manifest = self.manifest()
            except IndexUnusable:
                manifest = None
            self._stale = manifest is None or manifest.get("version") != self._version
        return self._stale

    def save(self, index: BM25Index) -> dict:
        """Persist ``index`` as the next version and hold it in memory."""
        with self._locked(fcntl.LOCK_EX):
            return self._save(index)

    def add(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        """Upsert documents into the saved index (created if absent) and save."""
        if not ids:
            return
        with self._locked(fcntl.LOCK_EX):
            index = self._current_or_new()
            index.add(ids, texts)
            self._save(index)

    def remove(self, ids: Iterable[int]) -> int:
        """Delete documents and save; returns how many were removed."""
        ids = list(ids)
        if not ids or not self.exists():
            return 0
        with self._locked(fcntl.LOCK_EX):
            index = self._current_or_new()
            removed = index.remove(ids)
            if removed:
                self._save(index)
            return removed

    def drop(self) -> None:
        """Delete the saved collection and forget the loaded one."""
        with self._locked(fcntl.LOCK_EX):
            shutil.rmtree(self.directory, ignore_errors=True)
            self._index, self._version = None, None

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), mode)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _current_or_new(self) -> BM25Index:
        if self._index is not None:
            manifest = self.manifest()
            if manifest is not None and manifest.get("version") == self._version:
                return self._index
            self._index = None
        if self.exists():
            self._load()
            return self._index
        return self.new_index()

    def _load(self) -> None:
        manifest = self.manifest()
        if manifest is None:
            raise _unusable("missing", f"lexical index {self.name!r} has not been built")
        try:
            index, manifest = BM25Index.load(self.directory)
        except ValueError as exc:
            reason = "mismatch" if "analyzer" in str(exc) else "corrupt"
            raise _unusable(reason, str(exc)) from exc
        self._index, self._version = index, manifest.get("version")
        self._checked_at, self._stale = time.monotonic(), False
        log.info("loaded lexical index %s v%s (%d documents)", self.name, self._version,
                 len(index))

    def _save(self, index: BM25Index) -> dict:
        try:
            previous = self.manifest()
        except IndexUnusable:
            previous = None
        version = (previous or {}).get("version", 0) + 1
        manifest = index.save(self.directory, version=version)
        self._index, self._version = index, version
        self._checked_at, self._stale = time.monotonic(), False
        return manifest
