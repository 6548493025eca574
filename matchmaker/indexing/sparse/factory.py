"""``SparseBackend``: how a store makes, loads, views and updates BM25 collections."""

from __future__ import annotations

from matchmaker.indexing.sparse.bm25 import Analyzer, BM25Index
from matchmaker.indexing.sparse.overlay import SEPARATOR, SparseView


class SparseBackend:
    """BM25 with one analyzer and one (k1, b)."""

    def __init__(self, *, analyzer: Analyzer | None = None, k1: float = 1.2, b: float = 0.75):
        self.analyzer = analyzer or Analyzer()
        self.k1, self.b = k1, b

    def identity(self) -> tuple[str, str, int]:
        """(encoder, version, dim) as the manifest records them: a changed analyzer or
        dictionary makes the saved collection unusable until rebuilt."""
        return "bm25", f"{self.analyzer.signature()}|k1={self.k1}|b={self.b}", 0

    def new(self, count: int = 0) -> BM25Index:
        """An empty index."""
        return BM25Index(k1=self.k1, b=self.b, analyzer=self.analyzer)

    def load(self, kind: str, directory, *, mmap: bool) -> BM25Index:
        """Read a saved index (frozen)."""
        if kind != BM25Index.kind:
            raise ValueError(f"not a BM25 collection: {kind!r}")
        return BM25Index.load(directory, mmap=mmap, k1=self.k1, b=self.b, analyzer=self.analyzer)

    def view(self, base: BM25Index) -> SparseView:
        """The reader's view of ``base`` plus the delta log."""
        return SparseView(base)

    def payloads(self, view: SparseView, payload, count: int) -> list[bytes]:
        """Delta payloads of ``count`` texts (analysed here, once)."""
        texts = list(payload)
        if len(texts) != count:
            raise ValueError(f"{count} ids for {len(texts)} texts")
        return [view.pack(t) for t in texts]

    def apply(self, index: BM25Index, upserts: dict, removed: set) -> BM25Index:
        """Fold delta payloads into the index (compaction)."""
        if removed:
            index.remove(removed)
        if upserts:
            index.add_terms((doc_id, p.decode("utf-8").split(SEPARATOR) if p else [])
                            for doc_id, p in upserts.items())
        return index
