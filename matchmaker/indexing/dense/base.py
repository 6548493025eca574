"""The vector index interface: ids are database primary keys, vectors are L2-normalised."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from matchmaker.indexing.base import Collection

PAD_ID = -1
PAD_SCORE = float("-inf")


class VectorIndex(Collection):
    """A nearest-neighbour index over unit vectors keyed by int64 primary keys.

    Vectors must be L2-normalised: the metric is inner product, which then equals cosine.
    ``add`` has upsert semantics; ``search`` returns ``(scores, ids)`` of shape (n, k), best
    first; when fewer than k vectors qualify the rest of the row holds id ``PAD_ID`` (-1) and
    score ``PAD_SCORE`` (-inf), so callers filter on ``ids >= 0``.
    """

    metric: ClassVar[str] = "ip"
    kind: ClassVar[str]
    dim: int
    mapped: bool = False  # loaded memory-mapped: read-only, shared with other processes

    @abstractmethod
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace: an id already present gets the new vector."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids (unknown ones are ignored); return how many were removed."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores float32 (n, k), ids int64 (n, k)), best first, -1 padded."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of live vectors."""

    @abstractmethod
    def ids(self) -> np.ndarray:
        """The live ids, int64, in no particular order."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write ``index.faiss`` (plus backend files) atomically into ``directory``.

        The manifest is written by ``CollectionStore`` (it knows the encoder); ``files()``
        names what was written so the store can checksum it.
        """

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> VectorIndex:
        """Read an index written by ``save`` (``mmap``: ask FAISS to map the file read-only)."""

    @abstractmethod
    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of those ``ids`` that are present, (n, dim), in the given order."""

    def files(self) -> list[str]:
        """Names of the files ``save`` writes, the main one first."""
        return ["index.faiss"]

    def extras(self) -> dict:
        """Backend parameters worth recording in the manifest (e.g. HNSW M, efSearch)."""
        return {}
