"""``SparseView``: a BM25 base with the delta log's documents merged in at query time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from matchmaker.indexing.overlay import DeltaView
from matchmaker.indexing.sparse.bm25 import BM25Index

SEPARATOR = "\x1f"  # between the analysed terms of a delta payload (never inside a term)


class SparseView(DeltaView):
    """What readers search: ``base`` minus the ids the log touched, plus the log's documents.

    Log documents are scored with the base's statistics (document count, idf, average length):
    idf and avgdl drift by one document per change, which a compaction corrects; a term the
    base never saw gets the largest idf. With an empty log every call goes to the base.
    """

    def __init__(self, base: BM25Index):
        super().__init__(base)
        self.analyzer = base.analyzer
        self._avgdl: float | None = None

    def pack(self, text: str) -> bytes:
        """A delta payload: the text's terms, analysed once by the writer."""
        return SEPARATOR.join(self.analyzer.terms(text)).encode("utf-8")

    def unpack(self, payload: bytes) -> Counter:
        """The term counts of a delta payload."""
        text = payload.decode("utf-8")
        return Counter(text.split(SEPARATOR) if text else ())

    def idf(self, term: str) -> float:
        """The base's idf of ``term``."""
        return self.base.idf(term)

    def search(self, text: str, k: int, *, exclude: Iterable[int] = ()
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (ids, scores) with a positive score, best first."""
        ids, scores, _ = self.search_with_coverage(text, k, exclude=exclude)
        return ids, scores

    def search_with_coverage(self, text: str, k: int, *, exclude: Iterable[int] = (),
                             of: str = "query") -> tuple[np.ndarray, np.ndarray, float]:
        """Like ``BM25Index.search_with_coverage`` over base and log."""
        if not self._touched:
            return self.base.search_with_coverage(text, k, exclude=exclude, of=of)
        excluded = {int(i) for i in exclude}
        ids, scores, coverage = self.base.search_with_coverage(
            text, k, exclude=self._touched | excluded, of=of)
        query = Counter(self.analyzer.terms(text))
        extra = [(doc_id, self._score(query, doc)) for doc_id, doc in self._live.items()
                 if doc_id not in excluded]
        extra = [(i, s) for i, s in extra if s > 0]
        if not extra:
            return ids, scores, coverage
        merged = sorted([*zip(ids.tolist(), scores.tolist(), strict=True), *extra],
                        key=lambda pair: -pair[1])[:k]
        top = merged[0][0]
        if top in self._live:
            coverage = (self._coverage(query, self._live[top]) if of == "query"
                        else self._coverage(self._live[top], query))
        return (np.array([i for i, _ in merged], np.int64),
                np.array([s for _, s in merged], np.float32), coverage)

    def coverage_of(self, text: str, ids: Iterable[int]) -> np.ndarray:
        """Like ``BM25Index.coverage_of`` over base and log."""
        ids = [int(i) for i in ids]
        out = self.base.coverage_of(text, ids)
        if not self._touched:
            return out
        query = Counter(self.analyzer.terms(text))
        for row, doc_id in enumerate(ids):
            if doc_id in self._touched:
                doc = self._live.get(doc_id)
                out[row] = self._coverage(query, doc) if doc is not None else 0.0
        return out

    def term_weights(self, ids: Iterable[int]) -> list[dict[str, float]]:
        """Like ``BM25Index.term_weights`` over base and log (log documents: base statistics)."""
        ids = [int(i) for i in ids]
        out = self.base.term_weights([i if i not in self._touched else -1 for i in ids])
        for row, doc_id in enumerate(ids):
            doc = self._live.get(doc_id)
            if doc is not None:
                out[row] = {term: self._score({term: 1.0}, doc) for term in doc}
        return out

    def query_weights(self, text: str) -> dict[str, float]:
        """The query's terms and their weights sqrt(qtf)."""
        return self.base.query_weights(text)

    def search_weighted(self, weights: Mapping[str, float], k: int, *,
                        exclude: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Like ``BM25Index.search_weighted`` over base and log."""
        if not self._touched:
            return self.base.search_weighted(weights, k, exclude=exclude)
        excluded = {int(i) for i in exclude}
        ids, scores = self.base.search_weighted(weights, k, exclude=self._touched | excluded)
        squared = {t: w * w for t, w in weights.items()}  # _score takes sqrt of a count
        extra = [(doc_id, self._score(squared, doc)) for doc_id, doc in self._live.items()
                 if doc_id not in excluded]
        extra = [(i, s) for i, s in extra if s > 0]
        if not extra:
            return ids, scores
        merged = sorted([*zip(ids.tolist(), scores.tolist(), strict=True), *extra],
                        key=lambda pair: -pair[1])[:k]
        return (np.array([i for i, _ in merged], np.int64),
                np.array([s for _, s in merged], np.float32))

    def _score(self, query: Mapping[str, float], doc: Counter) -> float:
        base, k1, b = self.base, self.base.k1, self.base.b
        if self._avgdl is None:  # the base's, computed once: the log does not move it
            self._avgdl = max(base.avgdl, 1e-9)
        norm = k1 * (1.0 - b + b * sum(doc.values()) / self._avgdl)
        score = 0.0
        for term, qtf in query.items():
            tf = doc.get(term, 0)
            if tf:
                score += np.sqrt(qtf) * base.idf(term) * tf * (k1 + 1.0) / (tf + norm)
        return float(score)

    def _coverage(self, query: Counter, doc: Counter) -> float:
        # every query term counts: a log document may hold terms the base never saw
        # (called with the roles swapped for ``of="doc"``: the document's terms in the query)
        weights = {t: self.base.idf(t) * np.sqrt(q) for t, q in query.items()}
        total = sum(weights.values())
        return float(sum(w for t, w in weights.items() if t in doc) / total) if total else 0.0
