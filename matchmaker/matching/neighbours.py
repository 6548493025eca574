"""Order the candidates after the first by their neighbours' support (score regularisation).

The cluster hypothesis: documents that answer the same need resemble each other. A candidate
whose close neighbours among the candidates also score well is likelier to fit than an
isolated one with the same score (a patent that shares a few words with the need by chance).
Diaz, "Regularizing ad hoc retrieval scores" (CIKM 2005):

    z' = (1 - share) * z + share * A z,   A[i, j] = softmax_j(cos(v_i, v_j) / temperature), j != i

over the first ``docs`` fused candidates, z being their fused values as z-scores and v their
stored vectors in the primary (multilingual) channel. Only the order of candidates after the
first changes, and only among candidates in the query's language:

- the first candidate keeps its place. It is the one every channel agrees on most; for a known
  item (a need naming one patent) it is the answer, and its neighbours are the same topic,
  not better answers. Measured: smoothing the first place too costs the known-item tasks
  0.04-0.20 nDCG@10, pinning it at most 0.0033 (docs/matching.md, section 7);
- a candidate in another language keeps its place. USE's cosine of a text with its own
  translation (0.70-0.81 on the demo's twins, ``bench/twin_cosines.py``) is no higher than
  with a different text in one language (up to 0.76), so in a mixed list neighbours are
  chosen by language as much as by topic. Its place was set by the fusion's language-pair
  weights and shifts. Measured on Chinese queries against a mixed corpus
  (xl_zh2mixed_g06f_group): without this rule 0.3827 nDCG@10 (MRR@10 0.6008), with it 0.3868
  (0.6486); smoothing English queries without it, a Chinese patent among English candidates
  sank whatever its topic (the English-keywords -> Chinese-patent task lost 0.031);
- candidates after the first ``docs`` keep their places.

Each moved candidate takes the fused value of the place it moves into, so the values shown
keep their scale and stay in order. Pure: the engine reads the vectors and calls ``smooth``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .fusion import Fused


def regularise(scores: np.ndarray, vectors: np.ndarray, share: float,
               temperature: float) -> np.ndarray:
    """``scores`` (best first, one per row of ``vectors``, unit length) mixed with their
    neighbours' in z units and mapped back to the scores' scale; the first keeps its value.
    Every new value lies within [min(scores), scores[0]] when ``scores`` is sorted."""
    scores = np.asarray(scores, np.float64)
    n = len(scores)
    if share <= 0 or n < 3:
        return scores.copy()
    mean, spread = scores.mean(), scores.std()
    if spread <= 1e-12:
        return scores.copy()
    z = (scores - mean) / spread
    # einsum and a broadcast sum, not ``@``: a BLAS call right after the encoder's
    # one-thread section wakes BLAS's thread pool again, measured 6-14 ms a call under load
    # (0.3-0.5 ms this way right after an encode).
    unit = np.asarray(vectors, np.float32)
    cosines = np.einsum("id,jd->ij", unit, unit).astype(np.float64)
    np.fill_diagonal(cosines, -np.inf)
    weights = np.exp((cosines - cosines.max(axis=1, keepdims=True)) / temperature)
    weights /= weights.sum(axis=1, keepdims=True)
    support = (weights * z[None, :]).sum(axis=1)
    out = ((1.0 - share) * z + share * support) * spread + mean
    out[0] = scores[0]
    return out


def smooth(fused: Sequence[Fused], vectors: np.ndarray, share: float, temperature: float,
           movable: Sequence[bool] | None = None) -> list[Fused]:
    """``fused`` (best first) with its first ``len(vectors)`` candidates (``vectors``: theirs,
    in that order) re-ordered by their regularised values: the first stays, so does each
    candidate whose ``movable`` is False (default: all movable); the others are ranked among
    the places they hold between them."""
    n = len(vectors)
    if share <= 0 or n < 3 or n > len(fused):
        return list(fused)
    values = regularise(np.array([item.score for item in fused[:n]]), vectors, share,
                        temperature)
    movable = [True] * n if movable is None else list(movable)
    places = [i for i in range(1, n) if movable[i]]
    order = list(range(n))
    for place, i in zip(places, sorted(places, key=lambda i: (-values[i], fused[i].id)),
                        strict=True):
        order[place] = i
    head = [Fused(fused[i].id, fused[place].score, fused[i].channels)
            for place, i in enumerate(order)]
    return head + list(fused[n:])
