"""Fusing the channels' rankings into one, weighted by language and by each channel's confidence.

Each channel answers a query with its top ``depth`` (ids, scores). Fusion sees only these lists
(the same in evaluation and production), so a candidate missing from a channel's list gets that
channel's floor (its lowest listed score).

Methods:
- ``rrf``: reciprocal-rank fusion, sum of w_c / (k + rank_c(d)); the baseline.
- ``zsum`` (default): per query and channel, scores become z-scores over the channel's list,
  z = (s - mean) / std; fused(d) = sum_c w_c * conf_c * z_c(d) / sum_c w_c. z-scores make a
  channel's outlier (a keyword query's exact document in BM25) count for more than the
  ordinary ups and downs of another channel's flat list.
- ``minmax``: like ``zsum`` with (s - min) / (max - min).

Weights: ``w_c`` comes from a table per (query language, document language) pair (a channel
can be worth more for Chinese than for English, or nothing; across languages only the
multilingual channel sees a pair), and each candidate's sum runs over the channels that can see
its pair, so a Chinese patent and its English twin compete on one scale. ``conf_c`` says how
sure the channel is for this query:
- BM25 reports the coverage of its top hit (the idf-weighted share of the query's terms that
  document contains): conf = 1 + sure_boost * max(0, cov - t) / (1 - t). A keyword query that
  finds a document holding all its terms is a known item, and a weaker dense ranking must not
  pull it down; topical queries rarely cover more than 40 % (measured: median 0.35 on
  zh_csl_discipline, 0.83 when title2abstract finds its abstract).
- dense channels: conf = 1 + confidence * gap, gap = (s1 - s2) / (s1 - s_depth) in [0, 1].

The reported fused score is squashed into (0, 1) with a logistic curve so that rule
adjustments (a few hundredths) stay small and comparable across queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

# Channel weights per (query language, document language) pair; keys are channel names or the
# kinds "lexical", "primary" (the ENCODER channel) and "extra" (EXTRA_ENCODERS channels). A
# one-language key ("zh") is the pair (zh, zh); "en>zh" is an English query against a Chinese
# document. Measured, see docs/matching.md.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    # Chinese: BM25 (words + bigrams) and USE are about equally good; an English-only extra
    # channel never applies (it also indexes no Chinese document).
    "zh": {"lexical": 1.05, "primary": 1.0, "extra": 0.0},
    # English: all-MiniLM-L6-v2 is the best channel, USE the weakest (below BM25).
    "en": {"lexical": 1.0, "primary": 0.25, "extra": 2.5},
    # Across languages only the multilingual channel sees the pair: BM25 shares no tokens
    # across scripts and an English-only channel cannot embed Chinese.
    "zh>en": {"lexical": 0.0, "primary": 1.0, "extra": 0.0},
    "en>zh": {"lexical": 0.0, "primary": 1.0, "extra": 0.0},
}
# A pair missing from the table: only the multilingual channel.
CROSS_DEFAULT: dict[str, float] = {"lexical": 0.0, "primary": 1.0, "extra": 0.0}


@dataclass(frozen=True)
class FusionConfig:
    """Parameters of the fusion; the defaults are the measured production choice."""

    method: str = "zsum"
    depth: int = 200
    rrf_k: int = 60
    confidence: float = 1.0
    confidence_power: float = 1.0  # conf = 1 + confidence * gap ** confidence_power
    z_floor: float | None = None  # clip z-scores from below (None: no clipping)
    # A channel that reports its own sureness (BM25: coverage of its top hit) gets
    # conf = 1 + sure_boost * max(0, sure - sure_threshold) / (1 - sure_threshold) instead.
    sure_boost: float = 8.0
    sure_threshold: float = 0.4
    # Pseudo-relevance feedback for dense channels (see Engine.retrieve): the query vector
    # moves towards the mean of the first fused hits, q' = q + feedback * mean(top docs),
    # unless the lexical channel is sure (a known item needs no expansion). 0 switches it off.
    feedback: float = 0.5
    feedback_docs: int = 3
    # The same for BM25 (feedback.expand_terms): the expansion model's share of the query
    # searched again, and how many terms of the first hits it keeps. 0 switches it off: 0.3
    # measured +0.004 nDCG@10 on zh_csl_discipline (docs/matching.md) but is not yet measured
    # on the other tasks, so it is off until it is.
    lexical_feedback: float = 0.0
    feedback_terms: int = 20
    # The first-pass run's share when it is blended with the feedback run (feedback.blend):
    # 0 replaces it; more keeps a first hit that stands far above the rest in its place.
    feedback_keep: float = 0.0
    # Score regularisation over the first fused candidates (neighbours.smooth): each one's
    # value mixed with its neighbours' (softmax over primary-channel cosines at this
    # temperature); the first candidate keeps its place. 0 switches it off. Measured per
    # query language (docs/matching.md, section 7): for Chinese queries +0.018 nDCG@10 on
    # zh_csl_discipline; for English ones at most +0.003 on the topical task against -0.008
    # on the known-item task (USE, whose vectors it reads, is the weakest English channel).
    neighbours: float = 0.7
    neighbour_docs: int = 50
    neighbour_temperature: float = 0.1
    neighbour_languages: tuple[str, ...] = ("zh",)
    weights: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    squash: float = 1.0  # slope of the logistic mapping of the fused value into (0, 1)

    # Added to the fused value (z units) of a candidate in another language than the query,
    # per pair "query>document". Measured on the even halves of the cross-language tasks
    # (docs/matching.md, section 7): for Chinese queries USE's cross-language z-scores flood
    # the top unless shifted down; for English queries a lift finds more Chinese answers.
    cross_shift: Mapping[str, float] = field(
        default_factory=lambda: {"en>zh": 0.5, "zh>en": -2.0})
    # Whose terms BM25's coverage (sureness) measures, per side searched: the query's for
    # patents (short needs and search words against long patents), the top hit's own for
    # needs (a long patent against short needs: the need is what must be covered).
    coverage: Mapping[str, str] = field(
        default_factory=lambda: {"patents": "query", "needs": "doc"})

    def weight(self, language: str, name: str, kind: str,
               doc_language: str | None = None) -> float:
        """The weight of channel ``name`` (of ``kind``) for queries in ``language`` against
        documents in ``doc_language`` (None: the query's language)."""
        if doc_language is None or doc_language == language:
            table = self.weights.get(language) or self.weights.get("en") or {}
        else:
            table = self.weights.get(f"{language}>{doc_language}") or CROSS_DEFAULT
        if name in table:
            return float(table[name])
        return float(table.get(kind, 1.0))


@dataclass
class ChannelRanking:
    """One channel's answer to one query: ids and scores, best first."""

    name: str
    kind: str  # "lexical" | "primary" | "extra"
    ids: np.ndarray
    scores: np.ndarray
    weight: float = 1.0
    sureness: float | None = None  # the channel's own confidence in [0, 1], if it has one
    # weight for documents in another language than the query (language -> weight; a language
    # missing here gets ``weight``); 0 means the channel cannot see that pair
    pair_weights: Mapping[str, float] | None = None

    def weight_for(self, doc_language: str | None) -> float:
        """The weight of this channel for a document in ``doc_language``."""
        if self.pair_weights is None or doc_language is None:
            return self.weight
        return float(self.pair_weights.get(doc_language, self.weight))

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, np.int64)
        self.scores = np.asarray(self.scores, np.float64)


@dataclass
class Fused:
    """A fused candidate: the fused score and, per channel, its score, rank and weight."""

    id: int
    score: float
    channels: dict[str, dict] = field(default_factory=dict)


def gap(scores: np.ndarray) -> float:
    """How sure a channel is of its first hit: (s1 - s2) / (s1 - s_last), in [0, 1]."""
    if len(scores) < 2:
        return 0.0
    spread = scores[0] - scores[-1]
    return float((scores[0] - scores[1]) / spread) if spread > 1e-12 else 0.0


def confidence(ranking: ChannelRanking, scores: np.ndarray, config: FusionConfig) -> float:
    """The multiplier of a channel's weight for this query (>= 1)."""
    if ranking.sureness is not None and config.sure_boost > 0:
        over = max(0.0, ranking.sureness - config.sure_threshold) / (1.0 - config.sure_threshold)
        return 1.0 + config.sure_boost * over
    return 1.0 + config.confidence * gap(scores) ** config.confidence_power


def normalise(scores: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    """Normalised scores and the value a candidate missing from the list gets."""
    if len(scores) == 0:
        return scores, 0.0
    if method == "minmax":
        lo, hi = scores.min(), scores.max()
        span = hi - lo
        if span <= 1e-12:
            return np.ones_like(scores), 0.0
        return (scores - lo) / span, 0.0
    mean, std = scores.mean(), scores.std()
    if std <= 1e-12:
        return np.zeros_like(scores), 0.0
    z = (scores - mean) / std
    return z, float(z.min())


def fuse(rankings: Sequence[ChannelRanking], config: FusionConfig, *,
         languages: Mapping[int, str] | None = None,
         query_language: str | None = None) -> list[Fused]:
    """Combine channel rankings into one list, best first (ties broken by id).

    ``languages`` (document id -> language) with ``query_language``: each candidate's value is
    the weighted mean over the channels that can see its (query, document) language pair
    (``ChannelRanking.weight_for``), so a document in the other language is not pulled down
    by the floor of channels that cannot see it, and competes on the same scale.
    """
    active = [r for r in rankings if len(r.ids) and
              (r.weight > 0 or any(w > 0 for w in (r.pair_weights or {}).values()))]
    if not active:
        return []
    parts = []  # (ranking, confidence, {id: (value, rank, raw)}, floor)
    for r in active:
        ids, scores = r.ids[: config.depth], r.scores[: config.depth]
        if config.method == "rrf":
            conf, floor = 1.0, 0.0
            values = 1.0 / (config.rrf_k + np.arange(1, len(ids) + 1))
        else:
            conf = confidence(r, scores, config)
            values, floor = normalise(scores, config.method)
            if config.z_floor is not None and config.method == "zsum":
                values = np.maximum(values, config.z_floor)
                floor = max(floor, config.z_floor)
        listed = {doc: (value, rank + 1, raw) for rank, (doc, value, raw) in
                  enumerate(zip(ids.tolist(), values.tolist(), scores.tolist(), strict=True))}
        parts.append((r, conf, listed, floor))
    languages = languages or {}
    union = dict.fromkeys(doc for p in parts for doc in p[2])
    fused = []
    for doc in union:
        language = languages.get(doc, query_language)
        item = Fused(doc, 0.0)
        total = 0.0
        for r, conf, listed, floor in parts:
            weight = r.weight_for(language) * conf
            hit = listed.get(doc)
            if weight <= 0:
                item.channels[r.name] = {"score": None if hit is None else round(hit[2], 6),
                                         "rank": None if hit is None else hit[1],
                                         "weight": 0.0}
                continue
            total += weight
            if hit is None:
                item.score += weight * floor
                item.channels[r.name] = {"score": None, "rank": None, "weight": round(weight, 4)}
            else:
                item.score += weight * hit[0]
                item.channels[r.name] = {"score": round(hit[2], 6), "rank": hit[1],
                                         "weight": round(weight, 4)}
        if total <= 0:
            continue
        item.score /= total
        if language != query_language and config.method != "rrf":
            item.score += config.cross_shift.get(f"{query_language}>{language}", 0.0)
        fused.append(item)
    fused.sort(key=lambda c: (-c.score, c.id))
    if config.method != "rrf":
        for item in fused:
            item.score = squash(item.score, config.squash)
    return fused


def squash(value: float, slope: float = 1.0) -> float:
    """Map a fused z-score-like value into (0, 1) (logistic); keeps the order."""
    return 1.0 / (1.0 + math.exp(-slope * value))
