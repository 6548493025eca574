"""Retrieval channels: one dense channel per encoder, one lexical (BM25) channel.

Each channel keeps one collection per side ("patents", "needs") and answers a query with its
own top-N ``(ids, scores)``; fusion combines them. A dense channel whose encoder covers only
some languages (all-MiniLM-L6-v2: English) indexes only documents in those languages and
answers only queries in them: its vectors of Chinese text would be noise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..encoders import counting
from ..text import Prepared, dense_chunks
from .feedback import expand_terms

log = logging.getLogger(__name__)

SIDES = ("patents", "needs")
LEXICAL = "bm25"


def encode_prepared(encoder, prepared: Sequence[Prepared], *, batch_size: int = 64,
                    progress: bool = False) -> np.ndarray:
    """One unit vector per prepared text: the weighted mean of its windows' vectors.

    Windows come from ``dense_chunks`` (whole sentences, at most ``encoder.max_chars``), so no
    text is silently truncated by the encoder.
    """
    texts, weights, owners = chunk_plan(encoder, prepared)
    vectors = encoder.encode(texts, batch_size=batch_size, progress=progress)
    counting.add_documents(encoder.name, len(prepared))
    return pool(vectors, weights, owners, len(prepared))


def chunk_plan(encoder, prepared: Sequence[Prepared]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(window texts, their weights, the index of the document each belongs to)."""
    texts: list[str] = []
    weights: list[float] = []
    owners: list[int] = []
    for row, item in enumerate(prepared):
        for text, weight in dense_chunks(item, encoder.max_chars):
            texts.append(text)
            weights.append(weight)
            owners.append(row)
    return texts, np.asarray(weights, np.float32), np.asarray(owners, np.int64)


def pool(vectors: np.ndarray, weights: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Weighted sum of window vectors per document, re-normalised to unit length."""
    dim = vectors.shape[1]
    out = np.zeros((n, dim), np.float32)
    np.add.at(out, owners, vectors * weights[:, None])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


@dataclass
class DenseChannel:
    """A dense channel: an encoder and its ``CollectionStore``, one per side."""

    encoder: object
    stores: dict
    _held: dict = field(default_factory=dict, repr=False)  # side -> (view key, held ids)

    @property
    def name(self) -> str:
        return self.encoder.name

    def accepts(self, language: str) -> bool:
        """True when this encoder embeds ``language`` meaningfully."""
        return self.encoder.supports(language)

    @property
    def languages(self) -> frozenset[str] | None:
        """The languages this channel indexes, None when it takes every language."""
        languages = getattr(self.encoder, "languages", None)
        return frozenset(languages) if languages is not None else None

    def holds(self, side: str, ids: Sequence[int]) -> np.ndarray:
        """For each id, True when the side's index holds it (bool array)."""
        view = self.stores[side].fresh()
        cached = self._held.get(side)
        # keyed by the view object itself (kept referenced, so its id cannot be reused): a
        # save or a reload gives a new view, and the id set is read again
        version = (len(view), getattr(view, "pending", 0))
        if cached is None or cached[0] is not view or cached[1] != version:
            cached = (view, version,
                      frozenset(view.ids().tolist()) if len(view) else frozenset())
            self._held[side] = cached
        return np.fromiter((int(i) in cached[2] for i in ids), bool, len(ids))

    def embed(self, prepared: Sequence[Prepared], progress: bool = False) -> np.ndarray:
        """Vectors of ``prepared`` (every item, whatever its language)."""
        return encode_prepared(self.encoder, prepared, progress=progress)

    def split(self, ids: Sequence[int], prepared: Sequence[Prepared]):
        """(accepted ids, accepted prepared, rejected ids) by language."""
        keep = [i for i, p in enumerate(prepared) if self.accepts(p.language)]
        kept = set(keep)
        rejected = [int(ids[i]) for i in range(len(ids)) if i not in kept]
        return [int(ids[i]) for i in keep], [prepared[i] for i in keep], rejected

    def upsert(self, side: str, ids: Sequence[int], prepared: Sequence[Prepared],
               vectors: np.ndarray | None = None) -> None:
        """Store the accepted documents (encoded here unless ``vectors``, one row per accepted
        document, are given); drop the others from this channel."""
        keep_ids, keep_prep, rejected = self.split(ids, prepared)
        if keep_ids:
            if vectors is None:
                vectors = self.embed(keep_prep)
            self.stores[side].add(np.asarray(keep_ids, np.int64),
                                  np.asarray(vectors, np.float32).reshape(len(keep_ids), -1))
        if rejected:
            self.remove(side, rejected)

    def remove(self, side: str, ids: Sequence[int]) -> int:
        """Remove ids from the side's store (unknown ids ignored)."""
        store = self.stores[side]
        return store.remove([int(i) for i in ids]) if store.exists() else 0

    def stored(self, side: str, ids: Sequence[int]) -> np.ndarray | None:
        """The indexed vectors of ``ids`` (for feedback), None when the index cannot say."""
        return self.stores[side].fresh().vectors_of(ids)

    def search(self, side: str, vector: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` (ids, cosine scores) for one query vector, best first."""
        index = self.stores[side].fresh()
        if len(index) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, ids = index.search(vector.reshape(1, -1), min(n, len(index)))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def stored_by_id(channel, side: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The indexed vectors of those ``ids`` the channel holds, by id.

    ``stored`` returns the vectors of the ids it finds, in order, without saying which are
    missing: one lookup answers when all are there, else each id is asked alone.
    """
    ids = [int(i) for i in ids]
    rows = channel.stored(side, ids) if ids else None
    if rows is not None and len(rows) == len(ids):
        return dict(zip(ids, rows, strict=True))
    out = {}
    for doc_id in ids:
        found = channel.stored(side, [doc_id])
        if found is not None and len(found):
            out[doc_id] = found[0]
    return out


@dataclass
class LexicalChannel:
    """The BM25 channel: one ``CollectionStore`` per side."""

    stores: dict
    name: str = LEXICAL

    def accepts(self, language: str) -> bool:
        return True

    def index(self, side: str):
        """The side's BM25 view (base + delta log), current with every process's saves."""
        return self.stores[side].fresh()

    def upsert(self, side: str, ids: Sequence[int], prepared: Sequence[Prepared]) -> None:
        """Index (or re-index) documents and persist."""
        self.stores[side].add([int(i) for i in ids], [p.lexical for p in prepared])

    def remove(self, side: str, ids: Sequence[int]) -> int:
        """Remove ids and persist; returns how many were there."""
        store = self.stores[side]
        return store.remove([int(i) for i in ids]) if store.exists() else 0

    def search(self, side: str, text: str, n: int, *, of: str = "query"
               ) -> tuple[np.ndarray, np.ndarray, float]:
        """Top ``n`` (ids, BM25 scores) best first, and the coverage of the top hit (of the
        query's terms, or ``of="doc"`` of the hit's own terms); documents sharing no term are
        left out."""
        return self.index(side).search_with_coverage(text, n, of=of)

    def search_expanded(self, side: str, text: str, feedback_ids: Sequence[int], n: int, *,
                        terms: int, mix: float) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` (ids, scores) for ``text`` expanded with the heaviest terms of the
        ``feedback_ids`` documents (feedback.expand_terms)."""
        index = self.index(side)
        weights = expand_terms(index.query_weights(text), index.term_weights(feedback_ids),
                               terms=terms, mix=mix)
        return index.search_weighted(weights, n)

    def coverage(self, side: str, text: str, ids: Sequence[int]) -> np.ndarray:
        """Per id: the idf-weighted share of the query's terms that document contains."""
        return self.index(side).coverage_of(text, [int(i) for i in ids])
