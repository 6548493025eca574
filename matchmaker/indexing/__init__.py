"""Persisted collections keyed by database primary keys: dense (FAISS) and sparse (BM25).

``dense/`` and ``sparse/`` hold the backends side by side, each with its factory; ``store``
persists any of them with one life cycle (lock, manifest, checksums, staleness, delta log,
compaction); ``manifest`` is the only module that reads manifests. The package is not named
``indexes`` so it is never confused with the ``indexes/`` artifact folder where the files live.
"""

from matchmaker.indexing.dense.base import PAD_ID, PAD_SCORE, VectorIndex
from matchmaker.indexing.dense.factory import build_index, index_class
from matchmaker.indexing.dense.faiss_flat import FlatIndex, set_threads
from matchmaker.indexing.dense.hnsw import HNSWIndex
from matchmaker.indexing.factory import BACKENDS, dense_store, sparse_store
from matchmaker.indexing.manifest import Manifest, read_manifest
from matchmaker.indexing.sparse.bm25 import Analyzer, BM25Index
from matchmaker.indexing.store import CollectionStore, collection_name, unusable

__all__ = [
    "BACKENDS", "PAD_ID", "PAD_SCORE", "Analyzer", "BM25Index", "CollectionStore", "FlatIndex",
    "HNSWIndex", "Manifest", "VectorIndex", "build_index", "collection_name", "dense_store",
    "index_class", "read_manifest", "set_threads", "sparse_store", "unusable",
]
