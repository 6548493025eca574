"""The approximate backend: FAISS HNSW over inner product, with tombstones for deletes.

Why HNSW with tombstones rather than IVF-Flat (bench/bench_index.py, bench/RESULTS.md): on
100k vectors calibrated to USE embeddings both reach recall@10 >= 0.99 in well under a
millisecond per query and build in about 30 s on 2 cores; IVF needs about a third less memory.
Latency does not decide it (encoding a query costs 20-30 ms). Training does: HNSW works from the
first ``add`` of an empty index, which is what ``build_index`` and incremental upserts need,
while IVF must be trained on a representative sample before anything is added and its
partitions go stale as new kinds of patents arrive. HNSW's one weakness, no ``remove_ids``, is
handled with tombstones: a deleted or replaced vector's position is marked dead and excluded
*inside* the graph search through an ``IDSelectorBitmap`` (dead nodes still serve as stepping
stones, so recall holds without over-fetching). ``compact()`` rebuilds without the dead; a
full rebuild (``flask build-index``) does the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from matchmaker.indexing.dense.base import PAD_ID, PAD_SCORE, VectorIndex
from matchmaker.indexing.dense.faiss_flat import (
    INDEX_FILE,
    check_ids,
    check_queries,
    check_vectors,
    pad,
    read_faiss,
    refuse_if_mapped,
    search_threads,
    write_index,
    write_npy,
)

LABELS_FILE = "labels.npy"
TOMBSTONES_FILE = "tombstones.npy"

# Tuned on 512-d data calibrated to USE embeddings (bench/bench_index.py): at 1M vectors
# recall@10 was 0.944 / 0.963 / 0.972 with efSearch 64 / 128 / 256 (efConstruction 64). Near
# duplicates are harder: on bench_matching's 1M recombined abstracts (about 127 patents per
# abstract, differing by one sentence, as families and re-filings do) recall@10 against exact
# search was 0.90 / 0.94 / 0.98 at efSearch 256 / 512 / 1024 with efConstruction 64, and
# 0.94 / 0.98 / 0.996 with efConstruction 128 (0.5 / 1.0 / 2.1 ms a query, one thread). 128
# and 512 buy 0.98 for 0.5 ms a search; the build takes twice as long (1M: 160 -> 310 s
# here), which a background job pays once.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 512


class HNSWIndex(VectorIndex):
    """Approximate search: ``IndexHNSWFlat`` (inner product) with positions mapped to ids.

    ``labels[i]`` is the primary key stored at graph position ``i``; ``alive[i]`` is False once
    that position was deleted or superseded by an upsert (a tombstone). Both are saved as .npy.
    """

    kind = "hnsw"

    def __init__(self, dim: int, *, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION,
                 ef_search: int = HNSW_EF_SEARCH, index: faiss.Index | None = None,
                 labels: np.ndarray | None = None, alive: np.ndarray | None = None,
                 mapped: bool = False):
        self.dim = int(dim)
        self.mapped = mapped
        if index is None:
            index = faiss.IndexHNSWFlat(self.dim, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
        self._index = index
        self._labels = labels if labels is not None else np.zeros(0, np.int64)
        self._alive = alive if alive is not None else np.zeros(0, bool)
        if not (len(self._labels) == len(self._alive) == index.ntotal):
            raise ValueError("labels/tombstones do not match the HNSW graph")
        self._count = int(self._alive.sum())
        self._selector = None
        self._bitmap = None
        self._lookup = None  # (live labels sorted, their positions): built on first use

    @property
    def ef_search(self) -> int:
        """Candidate list size per query; larger is slower and more exact."""
        return int(self._index.hnsw.efSearch)

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._index.hnsw.efSearch = int(value)

    @property
    def dead(self) -> int:
        """Tombstoned positions still in the graph."""
        return len(self._alive) - self._count

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace: a replaced id's old position becomes a tombstone."""
        refuse_if_mapped(self)
        ids, vectors = check_ids(ids, check_vectors(vectors, self.dim))
        if not len(ids):
            return
        self.remove(ids)
        self._index.add(vectors)
        self._labels = np.concatenate([self._labels, ids])
        self._alive = np.concatenate([self._alive, np.ones(len(ids), bool)])
        self._count += len(ids)
        self._selector = self._lookup = None

    def remove(self, ids: Iterable[int]) -> int:
        """Tombstone ids; unknown ones are ignored."""
        refuse_if_mapped(self)
        ids = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not ids.size or not self._count:
            return 0
        hit = self._alive & np.isin(self._labels, ids)
        removed = int(hit.sum())
        if removed:
            self._alive[hit] = False
            self._count -= removed
            self._selector = self._lookup = None
        return removed

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-k: (scores, ids), best first, -1 padded; tombstones never returned."""
        q = check_queries(queries, self.dim, k)
        if not self._count:
            return (np.full((len(q), k), PAD_SCORE, np.float32),
                    np.full((len(q), k), PAD_ID, np.int64))
        # efSearch below k would cap the result list at efSearch entries.
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        if self.dead:
            params.sel = self._live_selector()
        with search_threads(len(q)):
            scores, positions = self._index.search(q, k, params=params)
        labels = np.where(positions >= 0, self._labels[np.maximum(positions, 0)], PAD_ID)
        return pad(scores, labels)

    def _live_selector(self):
        if self._selector is None:
            # The bitmap must outlive the selector, which only holds a pointer to it.
            self._bitmap = np.packbits(self._alive, bitorder="little")
            self._selector = faiss.IDSelectorBitmap(len(self._alive), faiss.swig_ptr(self._bitmap))
        return self._selector

    def __len__(self) -> int:
        return self._count

    def ids(self) -> np.ndarray:
        """Live primary keys."""
        return self._labels[self._alive].copy()

    def vectors(self) -> np.ndarray:
        """Live vectors, in ``ids()`` order."""
        stored = self._index.reconstruct_n(0, self._index.ntotal)
        return stored[self._alive]

    def compact(self) -> HNSWIndex:
        """A new graph holding only the live vectors (tombstones dropped)."""
        fresh = HNSWIndex(self.dim, m=self._index.hnsw.nb_neighbors(1),
                          ef_construction=self._index.hnsw.efConstruction,
                          ef_search=self.ef_search)
        fresh.add(self.ids(), self.vectors())
        return fresh

    def files(self) -> list[str]:
        """index.faiss, then the position->id map and the tombstones."""
        return [INDEX_FILE, LABELS_FILE, TOMBSTONES_FILE]

    def extras(self) -> dict:
        """HNSW parameters and the tombstone count, for the manifest."""
        return {"M": self._index.hnsw.nb_neighbors(1),
                "efConstruction": int(self._index.hnsw.efConstruction),
                "efSearch": self.ef_search, "tombstones": self.dead,
                "positions": len(self._alive)}

    def save(self, directory: Path) -> None:
        """Write index.faiss, labels.npy and tombstones.npy (dead positions), each atomically."""
        write_index(self._index, directory)
        write_npy(directory, LABELS_FILE, self._labels)
        write_npy(directory, TOMBSTONES_FILE, np.flatnonzero(~self._alive).astype(np.int64))

    def vectors_of(self, ids) -> np.ndarray:
        """Stored vectors of the live ``ids`` among those given, in the given order.

        Ids are found by binary search in the live labels sorted once per change (a scan of
        every label per id cost 0.2 ms at 100k vectors and 2 ms at 1M, for each candidate
        whose vector explains or calibrates a match)."""
        wanted = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not wanted.size or not self._count:
            return np.zeros((0, self.dim), np.float32)
        labels, positions = self._live_lookup()
        at = np.minimum(np.searchsorted(labels, wanted), len(labels) - 1)
        found = positions[at[labels[at] == wanted]]
        if not found.size:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._index.reconstruct(int(p)) for p in found])

    def _live_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """(live labels in ascending order, the graph position of each); an id has at most one
        live position (``add`` tombstones the old one)."""
        if self._lookup is None:
            live = np.flatnonzero(self._alive)
            order = np.argsort(self._labels[live], kind="stable")
            self._lookup = (np.ascontiguousarray(self._labels[live][order]), live[order])
        return self._lookup

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> HNSWIndex:
        """Read the files written by ``save`` (``mmap``: see ``read_faiss``)."""
        directory = Path(directory)
        index = read_faiss(directory, mmap)
        if not isinstance(index, faiss.IndexHNSWFlat):
            raise ValueError(f"{INDEX_FILE} is not an IndexHNSWFlat")
        labels = np.load(directory / LABELS_FILE, allow_pickle=False,
                         mmap_mode="r" if mmap else None).astype(np.int64, copy=False)
        dead = np.load(directory / TOMBSTONES_FILE, allow_pickle=False).astype(np.int64)
        alive = np.ones(index.ntotal, bool)
        if dead.size and (dead.min() < 0 or dead.max() >= index.ntotal):
            raise ValueError("tombstones point outside the graph")
        alive[dead] = False
        return cls(index.d, index=index, labels=labels, alive=alive,
                   ef_search=index.hnsw.efSearch, mapped=mmap)
