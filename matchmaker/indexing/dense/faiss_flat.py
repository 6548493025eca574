"""FAISS helpers shared by the backends, and the exact ``flat`` backend (the ground truth).

Every backend stores unit vectors and ranks by inner product, which for unit vectors is the
cosine: ``q . x = |q||x| cos(q, x) = cos(q, x)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import faiss
import numpy as np

from matchmaker.indexing.dense.base import PAD_ID, PAD_SCORE, VectorIndex
from matchmaker.indexing.manifest import atomic_path

INDEX_FILE = "index.faiss"

# Below this many queries in one call, search on a single thread (see search_threads).
SMALL_BATCH = 4


def set_threads(threads: int | None) -> None:
    """Limit FAISS's OpenMP threads for the calling thread.

    OpenMP keeps this setting per thread: other threads use OMP_NUM_THREADS (or all cores).
    """
    if threads and threads > 0:
        faiss.omp_set_num_threads(int(threads))


@contextlib.contextmanager
def search_threads(queries: int) -> Iterator[None]:
    """Run a search of a few queries on one OpenMP thread.

    FAISS parallelises over queries, so a single query gains nothing from more threads, but
    every parallel region waits for all of them: on a busy 2-core machine that wait (a
    descheduled thread) turned a 4 ms exact search of 30k vectors into 40-90 ms. The
    OpenMP thread count is per calling thread, so this is safe in threaded servers.
    """
    before = faiss.omp_get_max_threads()
    if queries >= SMALL_BATCH or before == 1:
        yield
        return
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def check_vectors(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Return C-contiguous float32 (n, dim); reject wrong shapes and non-unit rows."""
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"expected vectors of shape (n, {dim}), got {np.shape(vectors)}")
    if not np.isfinite(arr).all():
        raise ValueError("vectors contain NaN or infinity")
    norms = np.einsum("ij,ij->i", arr, arr)
    # Zero rows (an empty text) are allowed; anything else must be unit length, or the inner
    # product would not be the cosine.
    if not np.all((np.abs(norms - 1.0) < 1e-3) | (norms == 0.0)):
        raise ValueError("vectors must be L2-normalised (inner product is used as cosine)")
    return arr


def check_ids(ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate ids against their vectors; int64, non-negative, last duplicate wins."""
    ids = np.asarray(ids).reshape(-1)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise ValueError("ids must be integers (database primary keys)")
    ids = ids.astype(np.int64)
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    if (ids < 0).any():
        raise ValueError("ids must be non-negative (-1 marks padding)")
    # Duplicates within one call: the last one wins, as if added one by one.
    _, last = np.unique(ids[::-1], return_index=True)
    if len(last) != len(ids):
        keep = np.sort(len(ids) - 1 - last)
        ids, vectors = ids[keep], vectors[keep]
    return ids, vectors


def check_queries(queries: np.ndarray, dim: int, k: int) -> np.ndarray:
    """Return queries as float32 (n, dim); reject a wrong shape or k < 1."""
    if k < 1:
        raise ValueError("k must be at least 1")
    q = np.ascontiguousarray(queries, dtype=np.float32)
    if q.ndim == 1:
        q = q.reshape(1, -1)
    if q.ndim != 2 or q.shape[1] != dim:
        raise ValueError(f"expected queries of shape (n, {dim}), got {np.shape(queries)}")
    return q


def pad(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalise FAISS padding (label -1, score -FLT_MAX) to PAD_ID / PAD_SCORE."""
    labels = labels.astype(np.int64, copy=False)
    scores = scores.astype(np.float32, copy=True)
    scores[labels < 0] = PAD_SCORE
    labels[labels < 0] = PAD_ID
    return scores, labels


def write_index(index: faiss.Index, directory: Path) -> None:
    """faiss.write_index to index.faiss through a temporary file and a rename."""
    with atomic_path(Path(directory) / INDEX_FILE) as tmp:
        faiss.write_index(index, str(tmp))


def read_faiss(directory: Path, mmap: bool) -> faiss.Index:
    """faiss.read_index of index.faiss; ``mmap`` maps the codes read-only instead of copying.

    ``IO_FLAG_MMAP_IFC`` is faiss's zero-copy mapping of flat codes (the storage of both the
    flat index and the HNSW graph's vectors): the pages stay file-backed and clean, so every
    worker of a machine shares one copy in the page cache. The older ``IO_FLAG_MMAP`` was
    measured to copy them anyway (faiss 1.15.1; bench/bench_memory.py). A mapped index must
    never be written: the backends refuse ``add``/``remove`` on it (``ReadOnlyIndex``).
    """
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
    return faiss.read_index(str(Path(directory) / INDEX_FILE), flags)


class ReadOnlyIndex(ValueError):
    """A change was asked of a memory-mapped index (its pages are the file's, shared)."""


def refuse_if_mapped(index: VectorIndex) -> None:
    """Raise ReadOnlyIndex when ``index`` was loaded memory-mapped: writing through the map
    would fault (the mapping is read-only) or change every process's copy."""
    if index.mapped:
        raise ReadOnlyIndex(f"a memory-mapped {index.kind} index is read-only; "
                            "load it with mmap=False to change it")


def write_npy(directory: Path, name: str, array: np.ndarray) -> None:
    """np.save (no pickles) through a temporary file and a rename."""
    with atomic_path(Path(directory) / name) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


class FlatIndex(VectorIndex):
    """Exact search: ``IndexIDMap2(IndexFlatIP)``, a full scan per query; the ground truth."""

    kind = "flat"

    def __init__(self, dim: int, index: faiss.Index | None = None, *, mapped: bool = False):
        self.dim = int(dim)
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.mapped = mapped

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors under the given primary keys."""
        refuse_if_mapped(self)
        ids, vectors = check_ids(ids, check_vectors(vectors, self.dim))
        if not len(ids):
            return
        self.remove(ids)
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids; unknown ones are ignored."""
        refuse_if_mapped(self)
        ids = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not ids.size or not self._index.ntotal:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k by inner product: (scores, ids), best first, -1 padded."""
        q = check_queries(queries, self.dim, k)
        if not self._index.ntotal:
            return (np.full((len(q), k), PAD_SCORE, np.float32),
                    np.full((len(q), k), PAD_ID, np.int64))
        with search_threads(len(q)):
            return pad(*self._index.search(q, k))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Live primary keys."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def vectors(self) -> np.ndarray:
        """All stored vectors, in ``ids()`` order."""
        return self._index.index.reconstruct_n(0, self._index.ntotal)

    def save(self, directory: Path) -> None:
        """Write index.faiss atomically."""
        write_index(self._index, directory)

    def vectors_of(self, ids) -> np.ndarray:
        """Stored vectors of the present ``ids`` among those given, in the given order."""
        rows = []
        for i in ids:
            try:
                rows.append(self._index.reconstruct(int(i)))
            except RuntimeError:  # an id the index does not hold (removed meanwhile)
                continue
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> FlatIndex:
        """Read index.faiss written by ``save`` (``mmap``: see ``read_faiss``)."""
        index = read_faiss(directory, mmap)
        if not isinstance(index, faiss.IndexIDMap2) or not isinstance(
            faiss.downcast_index(index.index), faiss.IndexFlatIP
        ):
            raise ValueError(f"{INDEX_FILE} is not an IndexIDMap2(IndexFlatIP)")
        return cls(index.d, index, mapped=mmap)
