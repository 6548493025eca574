"""Vector indexes over L2-normalised embeddings, keyed by database primary keys.

``build_index`` picks a backend, ``IndexStore`` persists one named collection with a manifest.
The package is named ``vectorindex`` so it is never confused with the ``indexes/`` artifact
folder where the files live.
"""

from matchmaker.vectorindex.base import PAD_ID, PAD_SCORE, VectorIndex
from matchmaker.vectorindex.factory import BACKENDS, build_index, index_class
from matchmaker.vectorindex.faiss_backend import FlatIndex, set_threads
from matchmaker.vectorindex.hnsw import HNSWIndex
from matchmaker.vectorindex.manifest import Manifest, read_manifest
from matchmaker.vectorindex.store import IndexStore, collection_name, unusable

__all__ = [
    "BACKENDS", "PAD_ID", "PAD_SCORE", "FlatIndex", "HNSWIndex", "IndexStore", "Manifest",
    "VectorIndex", "build_index", "collection_name", "index_class", "read_manifest",
    "set_threads", "unusable",
]
