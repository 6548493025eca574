"""Choose a dense backend: exact below ``exact_limit`` vectors, HNSW above."""

from __future__ import annotations

import numpy as np

from matchmaker.indexing.dense.base import VectorIndex
from matchmaker.indexing.dense.faiss_flat import FlatIndex, check_vectors, set_threads
from matchmaker.indexing.dense.hnsw import HNSWIndex
from matchmaker.indexing.dense.milvus import MilvusIndex
from matchmaker.indexing.dense.overlay import DenseView

KINDS: dict[str, type[VectorIndex]] = {"flat": FlatIndex, "hnsw": HNSWIndex}
# Above this share of tombstoned HNSW positions, compaction rebuilds the graph without them.
TOMBSTONE_LIMIT = 0.3


def build_index(dim: int, count: int, *, exact_limit: int, threads: int | None = None,
                kind: str | None = None) -> VectorIndex:
    """Return an empty index suited to about ``count`` vectors of length ``dim``.

    Args:
        dim: vector length (the encoder's ``dim``).
        count: expected number of vectors.
        exact_limit: below this, exact search (``flat``) is fast enough and is used; at or
            above it, approximate ``hnsw``.
        threads: FAISS OpenMP threads for the calling thread; None leaves the setting alone.
        kind: force a backend ("flat", "hnsw"), e.g. for tests and benchmarks.
    """
    set_threads(threads)
    if kind is None:
        kind = "flat" if count < exact_limit else "hnsw"
    return index_class(kind)(dim)


def index_class(kind: str) -> type[VectorIndex]:
    """The backend class for a manifest's ``index_type``."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown index type {kind!r}; known: {', '.join(KINDS)}") from None


class DenseBackend:
    """How a store makes, loads, views and updates dense collections of one encoder."""

    def __init__(self, dim: int, *, exact_limit: int = 50_000, threads: int | None = None):
        self.dim = int(dim)
        self.exact_limit = exact_limit
        self.threads = threads

    def version(self, encoder_version: str) -> str:
        """The version a manifest records for this backend's collections of an encoder."""
        return encoder_version

    def new(self, count: int = 0) -> VectorIndex:
        """An empty index suited to about ``count`` vectors."""
        return build_index(self.dim, count, exact_limit=self.exact_limit, threads=self.threads)

    def load(self, kind: str, directory, *, mmap: bool) -> VectorIndex:
        """Read a saved index of ``kind``."""
        set_threads(self.threads)
        return index_class(kind).load(directory, mmap=mmap)

    def view(self, base: VectorIndex) -> DenseView:
        """The reader's view of ``base`` plus the delta log."""
        return DenseView(base)

    def payloads(self, view, payload, count: int) -> list[bytes]:
        """Delta payloads of ``count`` vectors (checked like ``add`` would)."""
        vectors = check_vectors(payload, self.dim)
        if len(vectors) != count:
            raise ValueError(f"{count} ids for {len(vectors)} vectors")
        return [view.pack(v) for v in vectors]

    def apply(self, index: VectorIndex, upserts: dict, removed: set) -> VectorIndex:
        """Fold delta payloads into a writable index (compaction)."""
        if removed:
            index.remove(removed)
        if upserts:
            ids = np.fromiter(upserts, np.int64, len(upserts))
            index.add(ids, np.stack([np.frombuffer(p, "<f4") for p in upserts.values()]))
        if isinstance(index, HNSWIndex) and index.dead > TOMBSTONE_LIMIT * (index.dead + len(index)):
            index = index.compact()
        return index


class MilvusBackend(DenseBackend):
    """Dense collections in Milvus (``uri``: a server, or a Milvus Lite file); the delta log,
    views and compaction are ``DenseBackend``'s."""

    def __init__(self, dim: int, *, uri: str, prefix: str, exact_limit: int = 50_000,
                 threads: int | None = None):
        super().__init__(dim, exact_limit=exact_limit, threads=threads)
        self.uri, self.prefix = str(uri), prefix

    def version(self, encoder_version: str) -> str:
        """Tagged: a collection saved by another backend is refused as a mismatch (rebuild),
        never misread."""
        return f"{encoder_version}|milvus"

    def new(self, count: int = 0) -> MilvusIndex:
        """A new, empty Milvus collection: exact (FLAT) below ``exact_limit``, HNSW above."""
        return MilvusIndex.create(self.dim, uri=self.uri, prefix=self.prefix,
                                  index_type="FLAT" if count < self.exact_limit else "HNSW")

    def load(self, kind: str, directory, *, mmap: bool) -> MilvusIndex:
        """Open the saved base's collection on this backend's server."""
        if kind != MilvusIndex.kind:
            raise ValueError(f"not a Milvus collection: {kind!r}")
        return MilvusIndex.load(directory, uri=self.uri)
