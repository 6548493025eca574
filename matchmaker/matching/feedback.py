"""Pseudo-relevance feedback: search again with the query moved towards its first fused hits.

Topical needs ("something for our discipline", "this IPC group") are short and miss the words
and directions the relevant documents share; the first fused hits, found by every channel
together, know them. Two expansions, both of the standard kind:

- dense channels (Rocchio): q' = normalise(q + beta * mean(vectors of the first hits)), read
  from the index (no encoding);
- BM25 (RM3-style, with BM25 term weights): each first hit's term weights, normalised to sum
  1, are averaged; the ``terms`` heaviest make the expansion model e, and the query searched is
  (1 - mix) * q + mix * e, q being the query's own weights normalised to sum 1.

The engine skips feedback when BM25 is sure of a known item (its top hit covers the query):
such a hit stands far above the rest and expansion could only dilute it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..text import Prepared
from .fusion import ChannelRanking, Fused, fuse, squash


def rocchio(query: np.ndarray, stored: np.ndarray, beta: float) -> np.ndarray:
    """Unit-length q + beta * mean(stored): cosine search stays an inner product."""
    moved = np.asarray(query, np.float32) + beta * np.asarray(stored, np.float32).mean(axis=0)
    return moved / max(float(np.linalg.norm(moved)), 1e-12)


def expand_terms(query: Mapping[str, float], docs: Sequence[Mapping[str, float]], *,
                 terms: int, mix: float) -> dict[str, float]:
    """The weighted terms of the expanded query (see the module docstring).

    Args:
        query: the query's term weights (sqrt of its term counts).
        docs: each feedback document's term weights (BM25 weights); empty ones are skipped.
        terms: how many expansion terms to keep.
        mix: the expansion model's share, in [0, 1]; 0 returns the query unchanged.
    """
    docs = [d for d in docs if d]
    total = sum(query.values())
    if mix <= 0 or not docs or terms <= 0 or total <= 0:
        return dict(query)
    model: dict[str, float] = {}
    for doc in docs:
        norm = sum(doc.values())
        for term, weight in doc.items():
            model[term] = model.get(term, 0.0) + weight / norm / len(docs)
    top = sorted(model.items(), key=lambda pair: (-pair[1], pair[0]))[:terms]
    kept = sum(w for _, w in top)
    expanded = {term: (1.0 - mix) * weight / total for term, weight in query.items()}
    for term, weight in top:
        expanded[term] = expanded.get(term, 0.0) + mix * weight / kept
    return expanded


def blend(first: Sequence[Fused], second: Sequence[Fused], keep: float,
          slope: float = 1.0) -> list[Fused]:
    """The two fused runs interpolated: keep * first + (1 - keep) * second, on the fused
    value before the logistic squash (a candidate missing from a run gets that run's lowest
    value), so a first hit that stands far above the rest keeps its place. ``keep`` 0 returns
    ``second``. Each candidate's channel view is the one of the second run where it has one."""
    if keep <= 0 or not first:
        return list(second)

    def values(run):
        return {item.id: unsquash(item.score, slope) for item in run}

    a, b = values(first), values(second)
    floor_a, floor_b = min(a.values()), min(b.values(), default=0.0)
    views = {item.id: item.channels for item in first}
    views.update({item.id: item.channels for item in second})
    out = [Fused(i, squash(keep * a.get(i, floor_a) + (1.0 - keep) * b.get(i, floor_b), slope),
                 views[i]) for i in dict.fromkeys([*a, *b])]
    out.sort(key=lambda c: (-c.score, c.id))
    return out


def unsquash(value: float, slope: float = 1.0) -> float:
    """The inverse of ``fusion.squash``."""
    value = min(max(value, 1e-12), 1.0 - 1e-12)
    return math.log(value / (1.0 - value)) / slope


def search_again(engine, side: str, query: Prepared, fused: list[Fused],
                 rankings: list[ChannelRanking], vectors: Mapping[str, np.ndarray],
                 depth: int, pairs: dict) -> list[Fused]:
    """Every channel of ``engine`` that took part searches again with the query expanded by
    the first fused hits, replacing its list in ``rankings``; the new lists are fused
    (``pairs``: the document languages, updated here, and the query's), then blended with the
    first run (``feedback_keep``)."""
    top = [item.id for item in fused[: engine.fusion.feedback_docs]]
    by_name = {c.name: c for c in engine.dense}
    changed = False
    for position, ranking in enumerate(rankings):
        if ranking.weight <= 0:
            continue
        if ranking.kind == "lexical":
            if engine.fusion.lexical_feedback <= 0 or engine.lexical is None:
                continue
            ids, scores = engine.lexical.search_expanded(
                side, query.lexical, top, depth, terms=engine.fusion.feedback_terms,
                mix=engine.fusion.lexical_feedback)
        else:
            channel = by_name.get(ranking.name)
            if channel is None or engine.fusion.feedback <= 0 or ranking.name not in vectors:
                continue
            stored = channel.stored(side, top)
            if stored is None or not len(stored):
                continue
            ids, scores = channel.search(
                side, rocchio(vectors[ranking.name], stored, engine.fusion.feedback), depth)
        rankings[position] = ChannelRanking(ranking.name, ranking.kind, ids, scores,
                                            weight=ranking.weight,
                                            sureness=ranking.sureness,
                                            pair_weights=ranking.pair_weights)
        changed = True
    if not changed:
        return fused
    new = [i for r in rankings for i in r.ids.tolist() if i not in pairs["languages"]]
    if new:
        pairs["languages"].update(engine.languages(side, list(dict.fromkeys(new))))
    again = fuse(rankings, engine.fusion, **pairs)
    if engine.fusion.method == "rrf":
        return again
    return blend(fused, again, engine.fusion.feedback_keep, engine.fusion.squash)
