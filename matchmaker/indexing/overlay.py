"""``DeltaView``: what readers search, a saved base with the delta log merged in.

The dense and the sparse view differ only in what a log record holds (a vector, a bag of
analysed terms) and how it is scored; which ids are live, hidden or added is the same
bookkeeping, kept here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from matchmaker.indexing.delta import UPSERT


class DeltaView(ABC):
    """``base`` minus every id the log touched, plus the log's current documents.

    With an empty log every call goes to the base. Subclasses say how a payload is packed by
    the writer (``pack``) and read back by readers (``unpack``), and search the merged whole.
    """

    def __init__(self, base):
        self.base = base
        self._live: dict[int, object] = {}  # id -> unpacked document, upserted by the log
        self._touched: set[int] = set()  # every id the log upserted or removed
        self._base_ids: set[int] | None = None

    @abstractmethod
    def pack(self, payload) -> bytes:
        """One document as a delta payload."""

    @abstractmethod
    def unpack(self, payload: bytes):
        """A delta payload as the document the view scores."""

    def apply(self, op: int, doc_id: int, payload: bytes) -> None:
        """Merge one delta record."""
        doc_id = int(doc_id)
        self._touched.add(doc_id)
        if op == UPSERT:
            self._live[doc_id] = self.unpack(payload)
        else:
            self._live.pop(doc_id, None)

    @property
    def pending(self) -> int:
        """Delta records merged so far (distinct ids)."""
        return len(self._touched)

    def _base_id_set(self) -> set[int]:
        if self._base_ids is None:
            self._base_ids = set(self.base.ids().tolist())
        return self._base_ids

    def __contains__(self, doc_id: int) -> bool:
        doc_id = int(doc_id)
        if doc_id in self._touched:
            return doc_id in self._live
        return doc_id in self._base_id_set()

    def __len__(self) -> int:
        if not self._touched:
            return len(self.base)
        return len(self.base) - len(self._touched & self._base_id_set()) + len(self._live)

    def ids(self) -> np.ndarray:
        """Live ids."""
        base = self.base.ids()
        if not self._touched:
            return base
        touched = np.fromiter(self._touched, np.int64, len(self._touched))
        extra = np.fromiter(self._live, np.int64, len(self._live))
        return np.concatenate([base[~np.isin(base, touched)], extra])
