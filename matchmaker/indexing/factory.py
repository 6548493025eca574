"""The stores the engine uses: one dense collection per (side, encoder), one BM25 per side.

``MATCHMAKER_VECTOR_BACKEND`` chooses where dense collections live (``BACKENDS``); the BM25
collections are the project's own files whatever the choice, so Chinese analysis (jieba) and
the BM25 ranking are the same with every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matchmaker.indexing.dense.factory import DenseBackend, MilvusBackend
from matchmaker.indexing.sparse.factory import SparseBackend
from matchmaker.indexing.store import CollectionStore, collection_name

MILVUS_LITE_FILE = "milvus.db"  # the Milvus Lite database under INDEX_DIR when no URI is set


def _faiss(dim: int, root: Path, name: str, milvus_uri: str, **kw) -> DenseBackend:
    return DenseBackend(dim, **kw)


def _milvus(dim: int, root: Path, name: str, milvus_uri: str, **kw) -> MilvusBackend:
    return MilvusBackend(dim, uri=milvus_uri or str(root / MILVUS_LITE_FILE), prefix=name, **kw)


#: MATCHMAKER_VECTOR_BACKEND values -> the dense backend they make
BACKENDS: dict[str, Callable[..., DenseBackend]] = {"faiss": _faiss, "milvus": _milvus}


def dense_store(root: str | Path, prefix: str, encoder, *, exact_limit: int = 50_000,
                threads: int | None = None, backend: str = "faiss", milvus_uri: str = "",
                **kwargs) -> CollectionStore:
    """The collection ``<prefix>-<encoder spec slug>`` of an ``Encoder``'s vectors.

    Args:
        backend: a key of ``BACKENDS``.
        milvus_uri: the Milvus server (``http://host:19530``) or Milvus Lite file; empty: a
            Milvus Lite file under ``root``.

    Raises:
        ValueError: ``backend`` is not one of ``BACKENDS``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown vector backend {backend!r}; known: {', '.join(BACKENDS)}")
    name = collection_name(prefix, encoder.name)
    dense = BACKENDS[backend](encoder.dim, Path(root), name, milvus_uri,
                              exact_limit=exact_limit, threads=threads)
    return CollectionStore(root, name, backend=dense,
                           identity=(encoder.name, dense.version(encoder.version), encoder.dim),
                           **kwargs)


def sparse_store(root: str | Path, prefix: str, **kwargs) -> CollectionStore:
    """The BM25 collection ``<prefix>-bm25``."""
    backend = SparseBackend()
    return CollectionStore(root, f"{prefix}-bm25", backend=backend,
                           identity=backend.identity(), **kwargs)
