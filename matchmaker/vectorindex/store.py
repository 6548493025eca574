"""One named, persisted index collection for one encoder, safe to share between processes.

Layout: ``<root>/<name>/index.faiss`` (+ backend files such as ``labels.npy``) and
``manifest.json``, written last. Writers hold an exclusive ``fcntl.flock`` on ``<root>/<name>.lock``
and readers a shared one while loading, so a reader never mixes files of two saves. Every save
bumps the manifest ``version``; ``is_stale()`` lets each gunicorn worker notice a save made by
another process and reload. Usable without Flask: everything comes in as plain arguments.

Within one process a re-entrant mutex serialises loads and writes. ``add``/``remove`` change the
loaded index in place (a copy would double the memory of a 1M index), so a search running in
another thread of the same process during a write is not supported; gunicorn's sync workers
serve one request at a time, which is how the app is deployed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from matchmaker.errors import IndexUnusable
from matchmaker.vectorindex.base import VectorIndex
from matchmaker.vectorindex.factory import build_index, index_class, set_threads
from matchmaker.vectorindex.manifest import (
    MANIFEST,
    Manifest,
    library_versions,
    read_manifest,
    sha256_file,
    utc_now_iso,
    write_manifest,
)

log = logging.getLogger(__name__)

REBUILD_HINT = "run `flask build-index`"
# Above this share of tombstoned HNSW positions, saves log a hint to rebuild (compact).
TOMBSTONE_WARNING = 0.3


def unusable(reason: str, message: str) -> IndexUnusable:
    """An IndexUnusable carrying ``reason``: "missing", "corrupt" or "mismatch"."""
    exc = IndexUnusable(f"{message}; {REBUILD_HINT}")
    exc.reason = reason
    return exc


def collection_name(prefix: str, encoder_spec: str) -> str:
    """Folder-safe name: ("patents", "use-multilingual") -> "patents-use-multilingual"."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", encoder_spec.lower()).strip("-.")
    return f"{prefix}-{slug}"


class IndexStore:
    """A lazily loaded, persisted index for one encoder.

    Args:
        root: the INDEX_DIR folder.
        name: collection name, e.g. "patents-use-multilingual" (see ``collection_name``).
        encoder: the encoder spec the vectors come from.
        encoder_version: the encoder's ``version``; a manifest with another one is refused.
        dim: vector length; a manifest with another one is refused.
        exact_limit: below this many vectors a new index is exact (flat), else HNSW.
        threads: FAISS OpenMP threads.
        stale_interval: seconds between two manifest reads in ``is_stale``.
    """

    def __init__(self, root: str | Path, name: str, *, encoder: str, encoder_version: str,
                 dim: int, exact_limit: int = 50_000, threads: int = 2,
                 stale_interval: float = 1.0):
        self.root = Path(root)
        self.name = name
        self.directory = self.root / name
        self.lock_path = self.root / f"{name}.lock"
        self.encoder = encoder
        self.encoder_version = encoder_version
        self.dim = int(dim)
        self.exact_limit = exact_limit
        self.threads = threads
        self.stale_interval = stale_interval
        self._index: VectorIndex | None = None
        self._version: int | None = None
        self._checked_at = 0.0
        self._stale = False
        self._mutex = threading.RLock()

    @classmethod
    def for_encoder(cls, root: str | Path, prefix: str, encoder, **kwargs) -> IndexStore:
        """Store named ``<prefix>-<encoder spec slug>`` for an ``Encoder`` instance."""
        return cls(root, collection_name(prefix, encoder.name), encoder=encoder.name,
                   encoder_version=encoder.version, dim=encoder.dim, **kwargs)

    # -- reading -------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when a manifest is on disk (the index may still be unusable)."""
        return (self.directory / MANIFEST).is_file()

    def manifest(self) -> Manifest | None:
        """The manifest on disk now, or None."""
        try:
            return read_manifest(self.directory)
        except ValueError as exc:
            raise unusable("corrupt", str(exc)) from exc

    @property
    def loaded(self) -> bool:
        """True once an index is held in memory."""
        return self._index is not None

    @property
    def version(self) -> int | None:
        """Manifest version of the index held in memory (None before the first load/save)."""
        return self._version

    def get(self) -> VectorIndex:
        """Return the index, loading it from disk on first use.

        Raises:
            IndexUnusable: ``reason`` "missing" (nothing saved or a file gone), "corrupt"
                (checksum mismatch, unreadable) or "mismatch" (other encoder, version or dim).
        """
        with self._mutex:
            if self._index is None:
                with self._locked(fcntl.LOCK_SH):
                    self._load()
            return self._index

    def fresh(self) -> VectorIndex:
        """``get()``, reloading first when another process saved a newer version."""
        if self._index is not None and self.is_stale():
            self.reload()
        return self.get()

    def reload(self) -> VectorIndex:
        """Drop the in-memory index and load the saved one."""
        with self._mutex:
            self._index = None
            self._version = None
            return self.get()

    def is_stale(self) -> bool:
        """True when the saved version differs from the loaded one (checked at most once per
        ``stale_interval`` seconds; a cheap read of manifest.json)."""
        if self._index is None:
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

    def new_index(self, count: int) -> VectorIndex:
        """An empty index suited to about ``count`` vectors (exact below ``exact_limit``)."""
        return build_index(self.dim, count, exact_limit=self.exact_limit, threads=self.threads)

    # -- writing -------------------------------------------------------------------------

    def save(self, index: VectorIndex) -> Manifest:
        """Persist ``index`` as the new version of this collection and hold it in memory."""
        with self._locked(fcntl.LOCK_EX):
            return self._save(index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Upsert vectors into the saved index (created if absent) and save, under the lock."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            return
        with self._locked(fcntl.LOCK_EX):
            index = self._current_or_new(len(ids))
            try:
                index.add(ids, vectors)
                self._save(index)
            except BaseException:
                # Memory may now be ahead of disk: forget it, the next get() reloads the truth.
                self._index = self._version = None
                raise

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids from the saved index and save; returns how many were removed."""
        ids = [int(i) for i in ids]
        if not ids or not self.exists():
            return 0
        with self._locked(fcntl.LOCK_EX):
            index = self._current_or_new(0)
            try:
                removed = index.remove(ids)
                if removed:
                    self._save(index)
            except BaseException:
                self._index = self._version = None
                raise
            return removed

    def drop(self) -> None:
        """Delete the saved collection and forget the loaded index."""
        with self._locked(fcntl.LOCK_EX):
            shutil.rmtree(self.directory, ignore_errors=True)
            self._index = None
            self._version = None

    # -- internals -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """The in-process mutex plus the cross-process file lock (shared or exclusive)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._mutex, open(self.lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), mode)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _current_or_new(self, count: int) -> VectorIndex:
        """The up-to-date saved index (reloaded if another process saved) or a new empty one."""
        if self._index is not None:
            manifest = self.manifest()
            if manifest is not None and manifest.version == self._version:
                return self._index
            self._index = None
        if self.exists():
            self._load()
            return self._index
        return self.new_index(count)

    def _load(self) -> None:
        manifest = self.manifest()
        if manifest is None:
            raise unusable("missing", f"index {self.name!r} has not been built in {self.root}")
        self._check_compatible(manifest)
        for fname, expected in manifest.files.items():
            path = self.directory / fname
            if not path.is_file():
                raise unusable("missing", f"index {self.name!r}: {fname} is missing")
            if sha256_file(path) != expected:
                raise unusable("corrupt", f"index {self.name!r}: checksum of {fname} differs")
        set_threads(self.threads)
        try:
            index = index_class(manifest.index_type).load(self.directory)
        except (RuntimeError, ValueError, KeyError, OSError) as exc:
            raise unusable("corrupt", f"index {self.name!r} cannot be read: {exc}") from exc
        if index.dim != manifest.dim or len(index) != manifest.count:
            raise unusable("corrupt", f"index {self.name!r} does not match its manifest")
        self._index, self._version = index, manifest.version
        self._checked_at, self._stale = time.monotonic(), False
        log.info("loaded index %s v%s (%s, %d vectors)", self.name, manifest.version,
                 manifest.index_type, manifest.count)

    def _check_compatible(self, manifest: Manifest) -> None:
        wanted = (self.encoder, self.encoder_version, self.dim)
        found = (manifest.encoder, manifest.encoder_version, manifest.dim)
        if wanted != found:
            raise unusable(
                "mismatch",
                f"index {self.name!r} was built by encoder {found[0]} v{found[1]} "
                f"(dim {found[2]}), not {wanted[0]} v{wanted[1]} (dim {wanted[2]})",
            )

    def _save(self, index: VectorIndex) -> Manifest:
        if index.dim != self.dim:
            raise ValueError(f"index dim {index.dim} != store dim {self.dim}")
        try:
            previous = read_manifest(self.directory)
        except ValueError:
            previous = None  # a corrupt manifest is simply replaced
        self.directory.mkdir(parents=True, exist_ok=True)
        index.save(self.directory)
        files = {fname: sha256_file(self.directory / fname) for fname in index.files()}
        manifest = Manifest(
            name=self.name, encoder=self.encoder, encoder_version=self.encoder_version,
            dim=self.dim, count=len(index), index_type=index.kind, created_at=utc_now_iso(),
            version=(previous.version if previous else 0) + 1,
            checksum=files["index.faiss"], files=files,
            faiss_version=library_versions()["faiss"], library_versions=library_versions(),
            extras=index.extras(),
        )
        write_manifest(self.directory, manifest)
        self._remove_leftovers(set(files))
        dead = manifest.extras.get("tombstones", 0)
        if dead > TOMBSTONE_WARNING * max(1, dead + manifest.count):
            log.warning("index %s: %d of %d positions are tombstones; %s to compact it",
                        self.name, dead, dead + manifest.count, REBUILD_HINT)
        self._index, self._version = index, manifest.version
        self._checked_at, self._stale = time.monotonic(), False
        return manifest

    def _remove_leftovers(self, keep: set[str]) -> None:
        # A flat index saved over an HNSW one leaves labels.npy behind; it is harmless (the
        # manifest lists the files that count) but confusing, so remove it.
        for path in self.directory.iterdir():
            if path.is_file() and path.name not in keep and path.name != MANIFEST \
                    and not path.name.startswith("."):
                path.unlink()
