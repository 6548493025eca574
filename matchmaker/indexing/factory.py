"""The stores the engine uses: one dense collection per (side, encoder), one BM25 per side."""

from __future__ import annotations

from pathlib import Path

from matchmaker.indexing.dense.factory import DenseBackend
from matchmaker.indexing.sparse.factory import SparseBackend
from matchmaker.indexing.store import CollectionStore, collection_name

BACKENDS = ("faiss",)  # MATCHMAKER_VECTOR_BACKEND values this build knows


def dense_store(root: str | Path, prefix: str, encoder, *, exact_limit: int = 50_000,
                threads: int | None = None, backend: str = "faiss", **kwargs) -> CollectionStore:
    """The collection ``<prefix>-<encoder spec slug>`` of an ``Encoder``'s vectors.

    Raises:
        ValueError: ``backend`` is not one of ``BACKENDS``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown vector backend {backend!r}; known: {', '.join(BACKENDS)}")
    return CollectionStore(
        root, collection_name(prefix, encoder.name),
        backend=DenseBackend(encoder.dim, exact_limit=exact_limit, threads=threads),
        identity=(encoder.name, encoder.version, encoder.dim), **kwargs)


def sparse_store(root: str | Path, prefix: str, **kwargs) -> CollectionStore:
    """The BM25 collection ``<prefix>-bm25``."""
    backend = SparseBackend()
    return CollectionStore(root, f"{prefix}-bm25", backend=backend,
                           identity=backend.identity(), **kwargs)
