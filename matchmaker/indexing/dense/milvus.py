"""The Milvus backend: dense collections kept by a Milvus server (or Milvus Lite, embedded).

Chosen by ``MATCHMAKER_VECTOR_BACKEND=milvus`` for deployments past one machine: every web and
worker machine searches the same collections on a Milvus Standalone or Distributed server
(``MATCHMAKER_MILVUS_URI=http://host:19530``); the default URI is a Milvus Lite file under the
index folder (one machine, tests). The store contract is the FAISS one (``VectorIndex``): ids
are database primary keys, vectors are unit length and the metric is inner product (= cosine);
exact ``FLAT`` below the exact limit, ``HNSW`` above, as with FAISS.

What the store keeps on disk for a Milvus base is ``milvus.json``, naming the Milvus collection
(checksummed in the manifest like any base file); the delta log and its readers work as for
FAISS. A rebuild creates a new Milvus collection, so readers of the old base keep a consistent
view until they reload; the collection two generations back is dropped.

pymilvus is a separate requirement (``requirements-milvus.txt``); it is imported on first
connection, and its absence is reported by name.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from matchmaker.indexing.dense.base import PAD_ID, PAD_SCORE, VectorIndex
from matchmaker.indexing.dense.faiss_flat import check_ids, check_queries, check_vectors
from matchmaker.indexing.dense.hnsw import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from matchmaker.indexing.manifest import atomic_path

DESCRIPTOR = "milvus.json"
MAX_TOP_K = 16_384  # Milvus refuses a larger limit
BATCH = 2_000  # rows per upsert / get call
INDEX_TYPES = ("FLAT", "HNSW")

_clients: dict[tuple[int, str], object] = {}


def connect(uri: str):
    """One ``MilvusClient`` per URI and process (a forked child opens its own)."""
    key = (os.getpid(), str(uri))
    if key not in _clients:
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:  # pragma: no cover - pymilvus is in requirements-dev
            raise RuntimeError("MATCHMAKER_VECTOR_BACKEND=milvus needs pymilvus (and milvus-lite "
                               "for a local file): pip install -r requirements-milvus.txt"
                               ) from exc
        local = "://" not in str(uri)
        if local:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            _clients[key] = MilvusClient(str(uri))
        except Exception as exc:
            if not local:
                raise
            # pymilvus says only "milvus-lite is required" or "Open local milvus failed".
            raise RuntimeError(
                f"cannot open the Milvus Lite file {uri} ({exc}). Milvus Lite needs the package "
                "milvus-lite (pip install -r requirements-milvus.txt) and serves one process "
                "at a time: for several web or job workers, run a Milvus server and set "
                "MATCHMAKER_MILVUS_URI (docs/vector-backends.md)") from exc
    return _clients[key]


def collection_for(prefix: str) -> str:
    """A new, unique Milvus collection name for a store (letters, digits, underscores)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", prefix).strip("_") or "collection"
    return f"mm_{slug}_{uuid.uuid4().hex[:12]}"


class MilvusIndex(VectorIndex):
    """One Milvus collection (int64 primary key ``id``, float vector ``vector``, IP metric)."""

    kind = "milvus"

    def __init__(self, dim: int, *, client, collection: str, uri: str,
                 index_type: str = "FLAT", previous: str | None = None):
        if index_type not in INDEX_TYPES:
            raise ValueError(f"unknown Milvus index type {index_type!r}; known: {INDEX_TYPES}")
        self.dim = int(dim)
        self.client, self.collection, self.uri = client, collection, str(uri)
        self.index_type = index_type
        self.previous = previous  # the collection of the base this one replaces

    @classmethod
    def create(cls, dim: int, *, uri: str, prefix: str, index_type: str = "FLAT",
               previous: str | None = None) -> MilvusIndex:
        """A new, empty collection."""
        from pymilvus import DataType, MilvusClient

        client, name = connect(uri), collection_for(prefix)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(dim))
        params = client.prepare_index_params()
        extra = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION} if index_type == "HNSW" \
            else {}
        params.add_index(field_name="vector", index_type=index_type, metric_type="IP",
                         params=extra)
        # Strong consistency: a search sees every write acknowledged before it (the contract).
        client.create_collection(name, schema=schema, index_params=params,
                                 consistency_level="Strong")
        return cls(dim, client=client, collection=name, uri=uri, index_type=index_type,
                   previous=previous)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace (Milvus upsert: an id already present gets the new vector)."""
        ids, vectors = check_ids(ids, check_vectors(vectors, self.dim))
        for start in range(0, len(ids), BATCH):
            rows = [{"id": int(i), "vector": v} for i, v in
                    zip(ids[start:start + BATCH].tolist(), vectors[start:start + BATCH],
                        strict=True)]
            self.client.upsert(self.collection, rows)

    def _present(self, ids: list[int]) -> list[int]:
        found = []
        for start in range(0, len(ids), BATCH):
            rows = self.client.get(self.collection, ids=ids[start:start + BATCH],
                                   output_fields=["id"])
            found.extend(int(r["id"]) for r in rows)
        return found

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids; unknown ones are ignored."""
        present = self._present(sorted({int(i) for i in ids}))
        for start in range(0, len(present), BATCH):
            self.client.delete(self.collection, ids=present[start:start + BATCH])
        return len(present)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by inner product: (scores, ids), best first, -1 padded."""
        q = check_queries(queries, self.dim, k)
        scores = np.full((len(q), k), PAD_SCORE, np.float32)
        labels = np.full((len(q), k), PAD_ID, np.int64)
        params = {"metric_type": "IP"}
        if self.index_type == "HNSW":
            params["params"] = {"ef": max(HNSW_EF_SEARCH, min(k, MAX_TOP_K))}
        hits = self.client.search(self.collection, data=list(q), limit=min(k, MAX_TOP_K),
                                  output_fields=["id"], search_params=params)
        for row, found in enumerate(hits):
            for col, hit in enumerate(found):
                scores[row, col], labels[row, col] = hit["distance"], hit["id"]
        return scores, labels

    def __len__(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def ids(self) -> np.ndarray:
        """Live primary keys."""
        found: list[int] = []
        it = self.client.query_iterator(self.collection, batch_size=10_000, output_fields=["id"])
        try:
            while batch := it.next():
                found.extend(int(r["id"]) for r in batch)
        finally:
            it.close()
        return np.array(found, np.int64)

    def vectors_of(self, ids) -> np.ndarray:
        """Stored vectors of the present ``ids`` among those given, in the given order."""
        wanted = [int(i) for i in ids]
        got = {}
        for start in range(0, len(wanted), BATCH):
            for r in self.client.get(self.collection, ids=wanted[start:start + BATCH],
                                     output_fields=["id", "vector"]):
                got[int(r["id"])] = np.asarray(r["vector"], np.float32)
        rows = [got[i] for i in wanted if i in got]
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    def files(self) -> list[str]:
        """The descriptor naming the Milvus collection."""
        return [DESCRIPTOR]

    def extras(self) -> dict:
        """Where the vectors are, for the manifest."""
        return {"milvus_collection": self.collection, "milvus_index": self.index_type}

    def save(self, directory: Path) -> None:
        """Flush the collection, write ``milvus.json`` atomically and drop the collection
        two generations back (readers of the previous base may still search theirs)."""
        self.client.flush(self.collection)
        path = Path(directory) / DESCRIPTOR
        older = None
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or a damaged one: simply replaced
            old = {}
        if old.get("collection") not in (None, self.collection):
            self.previous, older = old.get("collection"), old.get("previous")
        text = json.dumps({"collection": self.collection, "previous": self.previous,
                           "index_type": self.index_type, "dim": self.dim, "uri": self.uri},
                          indent=1)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        if older and older not in (self.collection, self.previous) \
                and self.client.has_collection(older):
            self.client.drop_collection(older)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False, uri: str | None = None) -> MilvusIndex:
        """Open the collection ``milvus.json`` names (on ``uri``, default the recorded one);
        ``mmap`` has no meaning here: the server holds the vectors."""
        meta = json.loads((Path(directory) / DESCRIPTOR).read_text(encoding="utf-8"))
        uri = uri or meta["uri"]
        client = connect(uri)
        if not client.has_collection(meta["collection"]):
            raise ValueError(f"Milvus collection {meta['collection']!r} is gone from {uri}")
        # A collection another process created (or any, after Milvus restarted) is released:
        # it answers no search until it is loaded into memory again.
        client.load_collection(meta["collection"])
        return cls(int(meta["dim"]), client=client, collection=meta["collection"], uri=uri,
                   index_type=meta["index_type"], previous=meta.get("previous"))
