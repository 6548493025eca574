"""``CollectionStore``: one named, persisted collection (dense or sparse), shared by processes.

Layout: ``<root>/<name>/`` holds the base files (``index.faiss``..., or the BM25 arrays), the
``manifest.json`` written last, and ``delta-<version>.log``, the append-only log of changes
since that base. Writers hold an exclusive ``fcntl.flock`` on ``<root>/<name>.lock`` and
readers a shared one while loading, so a reader never mixes files of two saves; within one
process a re-entrant mutex serialises loads and writes.

- ``save`` writes a new base (version + 1, a fresh empty log): rebuilds.
- ``add``/``remove`` append to the log and fsync: one saved record costs milliseconds at any
  size, and no process reloads the base for it; each reader merges the log's new records
  (a ``stat`` per search) into its view (``fresh``).
- ``compact`` folds the log into a new base (rebuild and a background job call it).

Bases load memory-mapped (``mmap``): the workers of one machine share one copy in the page
cache (BM25 arrays, FAISS flat and HNSW codes; see ``read_faiss``). Usable without Flask:
everything comes in as plain arguments; what is done to the folder is in ``files``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from matchmaker.indexing import delta
from matchmaker.indexing.files import (
    check_identity,
    collection_name,
    file_lock,
    new_manifest,
    read_base,
    remove_leftovers,
    unusable,
)
from matchmaker.indexing.manifest import MANIFEST, Manifest, read_manifest, write_manifest

__all__ = ["CollectionStore", "collection_name", "unusable"]

log = logging.getLogger(__name__)


class CollectionStore:
    """A lazily loaded, persisted collection with a delta log.

    Args:
        root: the INDEX_DIR folder.
        name: collection name, e.g. "patents-use-multilingual" or "patents-bm25".
        backend: ``DenseBackend`` (FAISS), ``MilvusBackend`` or ``SparseBackend`` (makes,
            loads and views collections).
        identity: (encoder, encoder version, dim) the manifest must match.
        mmap: load bases memory-mapped (read-only, shared between processes).
        stale_interval: seconds between two manifest reads in ``is_stale``.
    """

    def __init__(self, root: str | Path, name: str, *, backend, identity: tuple[str, str, int],
                 mmap: bool = True, stale_interval: float = 1.0):
        self.root = Path(root)
        self.name = name
        self.directory = self.root / name
        self.lock_path = self.root / f"{name}.lock"
        self.backend = backend
        self.encoder, self.encoder_version, self.dim = identity[0], identity[1], int(identity[2])
        self.mmap = mmap
        self.stale_interval = stale_interval
        self._view = None
        self._version: int | None = None
        self._offset = 0
        self._checked_at = 0.0
        self._stale = False
        self._mutex = threading.RLock()

    def exists(self) -> bool:
        """True when a manifest is on disk (the collection may still be unusable)."""
        return (self.directory / MANIFEST).is_file()

    def manifest(self) -> Manifest | None:
        """The manifest on disk now, or None; IndexUnusable("corrupt") when unreadable."""
        try:
            return read_manifest(self.directory)
        except ValueError as exc:
            raise unusable("corrupt", str(exc)) from exc

    @property
    def loaded(self) -> bool:
        """True once a collection is held in memory."""
        return self._view is not None

    @property
    def version(self) -> int | None:
        """Manifest version of the base held in memory (None before the first load/save)."""
        return self._version

    def get(self):
        """The view (base + log), loading the base on first use; the log is not re-read.

        Raises:
            IndexUnusable: ``reason`` "missing" (nothing saved or a file gone), "corrupt"
                (checksum mismatch, unreadable) or "mismatch" (other encoder, version or dim).
        """
        with self._mutex:
            if self._view is None:
                with self._locked(fcntl.LOCK_SH):
                    self._load()
                self._catch_up()
            return self._view

    def fresh(self):
        """The view with every change saved by any process: a new base is reloaded (checked
        at most once per ``stale_interval``), new log records are merged (checked every call)."""
        with self._mutex:
            if self._view is not None and self.is_stale():
                self._forget()
            view = self.get()
            if not self._catch_up():  # the log is gone: another process compacted
                self._checked_at = 0.0
                if self.is_stale():
                    self._forget()
                    view = self.get()
            return view

    def reload(self):
        """Drop what is in memory and load the saved collection."""
        with self._mutex:
            self._forget()
            return self.get()

    def is_stale(self) -> bool:
        """True when the saved version differs from the loaded one (a cheap read of
        manifest.json, at most once per ``stale_interval`` seconds)."""
        if self._view is None:
            return False
        now = time.monotonic()
        if now - self._checked_at < self.stale_interval:
            return self._stale
        self._checked_at = now
        try:
            manifest = read_manifest(self.directory)
        except ValueError:
            manifest = None
        self._stale = manifest is None or manifest.version != self._version
        return self._stale

    def pending(self) -> int:
        """Distinct ids changed in the log since the base (what ``compact`` would fold)."""
        return self.fresh().pending

    def new_index(self, count: int = 0):
        """An empty collection suited to about ``count`` documents."""
        return self.backend.new(count)

    def save(self, collection) -> Manifest:
        """Persist ``collection`` as a new base (version + 1, empty log) and hold it."""
        with self._locked(fcntl.LOCK_EX):
            return self._save(collection)

    def add(self, ids, payload) -> None:
        """Upsert documents (vectors or texts, aligned with ``ids``) through the log; a
        collection never saved is created from them."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            return
        if (ids < 0).any():
            raise ValueError("ids must be non-negative (-1 marks padding)")
        with self._locked(fcntl.LOCK_EX):
            if not self.exists():
                collection = self.new_index(len(ids))
                collection.add(ids, payload)
                self._save(collection)
                return
            view = self._current()
            records = [delta.encode(delta.UPSERT, i, p) for i, p in
                       zip(ids.tolist(), self.backend.payloads(view, payload, len(ids)),
                           strict=True)]
            self._append(records)

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids through the log; returns how many were present."""
        ids = sorted({int(i) for i in ids})
        if not ids or not self.exists():
            return 0
        with self._locked(fcntl.LOCK_EX):
            view = self._current()
            present = [i for i in ids if i in view]
            if present:
                self._append([delta.encode(delta.REMOVE, i) for i in present])
            return len(present)

    def compact(self) -> Manifest | None:
        """Fold the log into a new base; returns its manifest (None when nothing is saved)."""
        with self._locked(fcntl.LOCK_EX):
            manifest = self.manifest()
            if manifest is None:
                return None
            records, _ = delta.read(delta.path_for(self.directory, manifest.version))
            if not records:
                return manifest
            self._check(manifest)
            base = self._read_base(manifest, mmap=False)
            upserts, removed = delta.fold(records)
            return self._save(self.backend.apply(base, upserts, removed))

    def drop(self) -> None:
        """Delete the saved collection and forget the loaded one."""
        with self._locked(fcntl.LOCK_EX):
            shutil.rmtree(self.directory, ignore_errors=True)
            self._forget()

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """The in-process mutex plus the cross-process file lock (shared or exclusive)."""
        with self._mutex, file_lock(self.lock_path, mode):
            yield

    def _forget(self) -> None:
        self._view, self._version, self._offset = None, None, 0

    def _current(self):
        """The up-to-date view, under the writer's lock (reloaded if another process saved)."""
        manifest = self.manifest()
        if self._view is None or manifest is None or manifest.version != self._version:
            self._forget()
            self._load()
        self._catch_up()
        return self._view

    def _append(self, records: list[bytes]) -> None:
        try:
            delta.append(delta.path_for(self.directory, self._version), records)
        except BaseException:
            self._forget()  # memory may be ahead of disk: the next read reloads the truth
            raise
        self._catch_up()
        # The manifest keeps its version (readers need not reload) but tells /healthz how many
        # documents the collection holds with its log.
        manifest = self.manifest()
        manifest.extras = {**manifest.extras, "live_count": len(self._view),
                           "pending": self._view.pending}
        write_manifest(self.directory, manifest)

    def _catch_up(self) -> bool:
        """Merge log records written since the last call; False when the log vanished."""
        path = delta.path_for(self.directory, self._version)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return self._offset == 0
        if size > self._offset:
            records, self._offset = delta.read(path, self._offset)
            for op, doc_id, payload in records:
                self._view.apply(op, doc_id, payload)
        return True

    def _load(self) -> None:
        manifest = self.manifest()
        if manifest is None:
            raise unusable("missing", f"index {self.name!r} has not been built in {self.root}")
        self._check(manifest)
        base = self._read_base(manifest, mmap=self.mmap)
        self._view, self._version, self._offset = self.backend.view(base), manifest.version, 0
        self._checked_at, self._stale = time.monotonic(), False
        log.info("loaded index %s v%s (%s, %d documents)", self.name, manifest.version,
                 manifest.index_type, manifest.count)

    def _check(self, manifest: Manifest) -> None:
        check_identity(self.name, manifest, (self.encoder, self.encoder_version, self.dim))

    def _read_base(self, manifest: Manifest, *, mmap: bool):
        return read_base(self.name, self.directory, manifest, self.backend, mmap=mmap)

    def _save(self, collection) -> Manifest:
        if collection.dim != self.dim:
            raise ValueError(f"index dim {collection.dim} != store dim {self.dim}")
        try:
            previous = read_manifest(self.directory)
        except ValueError:
            previous = None  # a corrupt manifest is simply replaced
        self.directory.mkdir(parents=True, exist_ok=True)
        collection.save(self.directory)
        manifest = new_manifest(self.name, self.directory, collection,
                                (self.encoder, self.encoder_version, self.dim), previous)
        write_manifest(self.directory, manifest)
        remove_leftovers(self.directory, set(manifest.files))  # the old base's log too
        self._view, self._version, self._offset = self.backend.view(collection), \
            manifest.version, 0
        self._checked_at, self._stale = time.monotonic(), False
        return manifest
