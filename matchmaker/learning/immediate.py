"""Rejections that teach at once, before any retraining.

A broker who rejects patent P for need N as "not relevant" also says something about P's
look-alikes for N (its twin in the other language, a near-identical continuation) and about P
for needs that read like N. The learned reranker only learns that after its next training;
until then :func:`demote` lowers such candidates by ``penalty`` (in fused-score units, where
the business rules move a score by a few hundredths) and records why in their explanation.

Look-alikes are found with the stored vectors of the primary (multilingual) dense channel, so
twins across languages count: cosine >= ``threshold``. Pure numpy over what the caller passes
in; :mod:`matchmaker.services.matching_service` supplies the decisions and the vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: cosine of the multilingual USE vectors from which two records count as look-alikes
DEFAULT_THRESHOLD = 0.9
#: how far a look-alike is pushed down, in fused-score units (rules move a few hundredths)
DEFAULT_PENALTY = 0.2

Vectors = Callable[[str, Sequence[int]], dict[int, np.ndarray]]


@dataclass(frozen=True)
class Rejections:
    """The "not relevant" decisions that bear on one query.

    Attributes:
        same_query: ids on the candidates' side rejected for this very query (need -> the
            patents rejected for it; patent -> the needs it was rejected for).
        by_candidate: candidate id -> ids on the query's side for which that candidate was
            rejected (need -> patent: the other needs each candidate patent was rejected for).
    """

    same_query: frozenset[int] = frozenset()
    by_candidate: dict[int, frozenset[int]] | None = None

    def __bool__(self) -> bool:
        return bool(self.same_query) or bool(self.by_candidate)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def look_alikes(candidates: dict[int, np.ndarray], rejected: dict[int, np.ndarray],
                threshold: float) -> dict[int, tuple[int, float]]:
    """Candidate id -> (the most similar rejected id, cosine) where cosine >= ``threshold``."""
    if not candidates or not rejected:
        return {}
    cand_ids, rej_ids = list(candidates), list(rejected)
    sims = _unit(np.stack([candidates[i] for i in cand_ids])) @ _unit(
        np.stack([rejected[i] for i in rej_ids])).T
    found = {}
    for row, cid in enumerate(cand_ids):
        col = int(np.argmax(sims[row]))
        if sims[row, col] >= threshold:
            found[cid] = (rej_ids[col], float(sims[row, col]))
    return found


def demote(ranked: list, query_id: int, rejections: Rejections, *, query_side: str,
           candidate_side: str, vectors: Vectors, threshold: float = DEFAULT_THRESHOLD,
           penalty: float = DEFAULT_PENALTY) -> list:
    """Lower the look-alikes of rejected pairs among ``ranked`` and sort again.

    Two cases, both from "not relevant" rejections:
    - a candidate that looks like a record rejected for this query (same query, twin document);
    - a candidate rejected for a query that looks like this one (same document, twin query).
    Each demoted item's ``score`` drops by ``penalty`` and its explanation gets ``"demoted":
    {"like": "candidate" | "query", "id": ..., "similarity": ...}``; it moves below every other
    candidate scoring at least its new score, the others keep their order (the preference
    tie-break), and ranks are renumbered.
    """
    if not ranked or not rejections:
        return ranked
    ids = [r.id for r in ranked]
    reasons: dict[int, dict] = {}
    if rejections.same_query:
        own = vectors(candidate_side, ids)
        rejected = vectors(candidate_side, sorted(rejections.same_query))
        for cid, (rid, sim) in look_alikes(own, rejected, threshold).items():
            reasons[cid] = {"like": "candidate", "id": rid, "similarity": round(sim, 4)}
    others = {cid: qs for cid, qs in (rejections.by_candidate or {}).items()
              if cid in set(ids) and cid not in reasons and query_id not in qs}
    if others:
        query_vec = vectors(query_side, [query_id]).get(query_id)
        if query_vec is not None:
            other_vecs = vectors(query_side, sorted({q for qs in others.values() for q in qs}))
            for cid, qs in others.items():
                mine = {q: other_vecs[q] for q in qs if q in other_vecs}
                hit = look_alikes({query_id: query_vec}, mine, threshold).get(query_id)
                if hit is not None:
                    reasons[cid] = {"like": "query", "id": hit[0], "similarity": round(hit[1], 4)}
    if not reasons:
        return ranked
    kept = [item for item in ranked if item.id not in reasons]  # their order stays (tie-breaks)
    for item in ranked:
        why = reasons.get(item.id)
        if why is None:
            continue
        item.score = round(item.score - penalty, 6)
        item.explanation = {**(item.explanation or {}), "demoted": why}
        # below every kept candidate that still scores at least as much
        at = next((i for i, other in enumerate(kept) if other.score < item.score), len(kept))
        kept.insert(at, item)
    for position, item in enumerate(kept, start=1):
        item.rank = position
    return kept
