"""Choose an index backend: exact below ``exact_limit`` vectors, HNSW above."""

from __future__ import annotations

from matchmaker.vectorindex.base import VectorIndex
from matchmaker.vectorindex.faiss_backend import FlatIndex, set_threads
from matchmaker.vectorindex.hnsw import HNSWIndex

BACKENDS: dict[str, type[VectorIndex]] = {"flat": FlatIndex, "hnsw": HNSWIndex}


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
        return BACKENDS[kind]
    except KeyError:
        raise ValueError(f"unknown index type {kind!r}; known: {', '.join(BACKENDS)}") from None
