"""The collection contract shared by dense (FAISS) and sparse (BM25) collections.

A collection holds documents keyed by int64 database primary keys, writes itself as plain files
into a folder (``save``) and reads them back (``load``, memory-mapped: BM25 arrays and FAISS
codes, so the gunicorn workers of one machine share one copy in the page cache; a Milvus base
names a collection on the server). ``CollectionStore`` adds everything about persistence: lock, manifest, checksums, staleness, the delta log.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np


class Collection(ABC):
    """Documents keyed by primary keys; ``add`` upserts, ``remove`` deletes."""

    kind: ClassVar[str]
    dim: int  # vector length; 0 for a sparse collection

    @abstractmethod
    def add(self, ids: Sequence[int] | np.ndarray, payload) -> None:
        """Insert or replace documents (vectors for dense, texts for sparse)."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids (unknown ones are ignored); return how many were removed."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of live documents."""

    @abstractmethod
    def ids(self) -> np.ndarray:
        """The live ids, int64, in no particular order."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the files named by ``files()`` atomically into ``directory``."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> Collection:
        """Read a collection written by ``save``; ``mmap``: map the files read-only instead of
        copying them (the result must not be changed)."""

    @abstractmethod
    def files(self) -> list[str]:
        """Names of the files ``save`` writes, the main one first."""

    def extras(self) -> dict:
        """Parameters worth recording in the manifest (e.g. HNSW M, BM25 k1)."""
        return {}
