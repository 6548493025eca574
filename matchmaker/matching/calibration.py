"""The calibrated match score: P(a broker would recommend this pair) on a 0-100 scale.

Fusion orders candidates by per-query z-scores, so its number says "best of this list", not
"good": the first candidate scores about the same whether it is a perfect hit or nothing fits.
This module maps ABSOLUTE evidence of one candidate to a probability:

- ``primary``: cosine of query and document in the primary (cross-lingual) dense channel;
- ``extra``: cosine in the extra (English) channel where it compares the pair, else the
  primary cosine stands in for it;
- ``coverage``: the idf-weighted share of the query's terms this document contains (BM25;
  terms no document holds count too);
- ``agreement``: the share of the channels taking part that list it in their top ``TOP_N``;
- ``rank``: -log(fused rank) (the first hit of a list is more often relevant);
- ``first_coverage``: the coverage of the first fused candidate, 0 for the others (a keyword
  need whose first hit holds all its terms is a known item: that hit is nearly always right;
  being first alone is no evidence, as the first hit of a need nothing fits shows);
- ``lead_primary`` / ``lead_coverage``: this candidate's cosine and coverage minus the best of
  the OTHER candidates of the list (standing out from the rest is evidence);

and to what the query and the rest of its list look like, observable in production (no
benchmark label): whether the query is ``english``, a bare ``keywords`` list, its
``query_length`` (log characters), and the others' best, mean and best-minus-second cosine
and coverage. These tell a known-item-like query (one document stands out, the rest are far
behind: the rest are rarely right) from a topical one (many documents alike: many are right),
whose base rates differ several times over (issue 9: one model was off by 0.07-0.11 per
task). The context is computed without the candidate itself, so the score stays monotone in
the candidate's own evidence whatever weight the context gets.

A logistic model whose coefficients on the evidence are non-negative (fitted by
``python -m matchmaker.evaluation.calibrate``, shipped as ``calibration_default.json``) makes
the score monotone: more similarity, coverage or agreement never lowers it. Scores fall into
bands 高 / 中 / 低 and a pair under the "strong" threshold is not a strong candidate. Without a
readable model file the engine works as before: no calibrated score (None), every candidate
counts as strong (documented in docs/matching.md, "Calibrated score").

Numpy only: the fitting (scipy) lives in ``matchmaker.evaluation.calibrate``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MONOTONE = ("primary", "extra", "coverage", "agreement", "rank", "first_coverage",
            "lead_primary", "lead_coverage")  # coefficients >= 0: more evidence never lowers it
CONTEXT = ("english", "keywords", "query_length", "others_primary_best", "others_primary_mean",
           "others_primary_margin", "others_coverage_best", "others_coverage_mean",
           "others_coverage_margin")  # any sign: they describe the query and the other candidates
FEATURES = MONOTONE + CONTEXT
TOP_N = 10  # a channel "lists" a candidate when it ranks it in its first TOP_N
CONTEXT_N = 20  # the "others": the first CONTEXT_N fused candidates (as in the fit), whatever k
DEFAULT_FILE = Path(__file__).with_name("calibration_default.json")
FORMAT = 2
BANDS = ("high", "medium", "low")


@dataclass(frozen=True)
class Others:
    """The other candidates of the same list: best, mean and best-minus-second of their
    cosines (``primary``) and coverages (all 0 when the candidate is alone)."""

    primary_best: float = 0.0
    primary_mean: float = 0.0
    primary_margin: float = 0.0
    coverage_best: float = 0.0
    coverage_mean: float = 0.0
    coverage_margin: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """What the calibrated score of one candidate is computed from."""

    primary: float
    extra: float | None
    coverage: float
    agreement: float
    rank: int
    language: str  # the query's
    query_chars: int = 0
    keywords: bool = False  # the query is a bare list of short terms
    others: Others = Others()

    def vector(self) -> np.ndarray:
        extra = self.primary if self.extra is None else self.extra
        first = 1.0 if self.rank <= 1 else 0.0
        o = self.others
        return np.array([self.primary, extra, self.coverage, self.agreement,
                         -math.log(max(self.rank, 1)), first * self.coverage,
                         self.primary - o.primary_best, self.coverage - o.coverage_best,
                         1.0 if self.language == "en" else 0.0, 1.0 if self.keywords else 0.0,
                         math.log1p(self.query_chars) / 5.0,
                         o.primary_best, o.primary_mean, o.primary_margin,
                         o.coverage_best, o.coverage_mean, o.coverage_margin])


_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE = re.compile(r"[。．.!?！？:：]")
_TERM_SEPARATORS = re.compile(r"[，,、;；]+")


def query_shape(text: str) -> tuple[int, bool]:
    """(characters, is a bare keyword list) of a query's text: a keyword list has no sentence
    punctuation and two or more short terms, separated by spaces in Chinese (where words are
    not), by commas or semicolons in English (where spaces are inside terms)."""
    text = (text or "").strip()
    if not text or len(text) > 160 or _SENTENCE.search(text):
        return len(text), False
    if _CJK.search(text):
        terms = [t for t in re.split(r"[\s，,、;；]+", text) if t]
        return len(text), len(terms) >= 2 and all(len(t) <= 16 for t in terms)
    terms = [t for t in _TERM_SEPARATORS.split(text) if t.strip()]
    return len(text), len(terms) >= 2 and all(len(t.split()) <= 4 for t in terms)


def _summary(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values, reverse=True)
    second = ordered[1] if len(ordered) > 1 else ordered[0]
    return ordered[0], sum(values) / len(values), ordered[0] - second


def in_context(evidence: list[Evidence], query_text: str, pool: list[Evidence] | None = None,
               members: list[int | None] | None = None) -> list[Evidence]:
    """``evidence`` with the query's shape and its ``Others``: the candidates of ``pool``
    (default: ``evidence`` itself) but the candidate itself (``members[i]``: its index in
    ``pool``, None when it is not there)."""
    if pool is None:
        pool, members = evidence, list(range(len(evidence)))
    chars, keywords = query_shape(query_text)
    out = []
    for e, member in zip(evidence, members or [None] * len(evidence), strict=True):
        rest = pool if member is None else pool[:member] + pool[member + 1:]
        p = _summary([r.primary for r in rest])
        c = _summary([r.coverage for r in rest])
        out.append(replace(e, query_chars=chars, keywords=keywords, others=Others(*p, *c)))
    return out


@dataclass(frozen=True)
class Thresholds:
    """Score thresholds (0-100): bands and the "no strong candidate" line (the defaults are
    in ``matchmaker/config.py``: SCORE_BAND_HIGH, SCORE_BAND_MEDIUM, STRONG_MATCH_MIN)."""

    high: int
    medium: int
    strong: int

    def band(self, score: int | None) -> str | None:
        if score is None:
            return None
        return "high" if score >= self.high else "medium" if score >= self.medium else "low"

    def is_strong(self, score: int | None) -> bool:
        """None (no calibration) counts as strong: the engine behaves as before."""
        return score is None or score >= self.strong


@dataclass(frozen=True)
class Model:
    """A fitted logistic model over ``FEATURES``."""

    coef: tuple[float, ...]
    intercept: float
    manifest: dict

    def probability(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(np.asarray(rows, np.float64))
        return 1.0 / (1.0 + np.exp(-(rows @ np.asarray(self.coef) + self.intercept)))

    def to_json(self) -> dict:
        return {"format": FORMAT, "features": list(FEATURES),
                "coef": [round(float(c), 6) for c in self.coef],
                "intercept": round(float(self.intercept), 6), "manifest": self.manifest}

    @classmethod
    def from_json(cls, data: dict) -> Model:
        """Raises ValueError on another format or feature list, or a negative monotone weight."""
        if data.get("format") != FORMAT or tuple(data.get("features", ())) != FEATURES:
            raise ValueError("calibration file: unknown format or features")
        coef = tuple(float(c) for c in data["coef"])
        if len(coef) != len(FEATURES) or any(
                coef[FEATURES.index(name)] < 0 for name in MONOTONE):
            raise ValueError("calibration file: coefficients do not fit the features")
        return cls(coef, float(data["intercept"]), dict(data.get("manifest") or {}))


class Calibrator:
    """Evidence -> calibrated score (0-100) and band."""

    def __init__(self, model: Model | None, thresholds: Thresholds | None = None):
        self.model = model
        self.thresholds = thresholds  # None: scores without bands

    @classmethod
    def load(cls, path: str | Path | None = None,
             thresholds: Thresholds | None = None) -> Calibrator:
        """The model in ``path`` (default: the packaged file); uncalibrated when unreadable."""
        path = Path(path) if path else DEFAULT_FILE
        try:
            model = Model.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("no calibration model (%s): scores stay uncalibrated", exc)
            model = None
        return cls(model, thresholds)

    def scores(self, evidence: list[Evidence]) -> list[int | None]:
        """One 0-100 score per candidate (None when there is no model)."""
        if self.model is None or not evidence:
            return [None] * len(evidence)
        p = self.model.probability(np.stack([e.vector() for e in evidence]))
        return [int(round(100 * float(v))) for v in p]

    def band(self, score: int | None) -> str | None:
        return self.thresholds.band(score) if self.thresholds is not None else None


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10,
                               weights: np.ndarray | None = None) -> tuple[float, list[dict]]:
    """ECE over ``bins`` equal-width probability bins, and the table of bins."""
    p, y = np.asarray(p, np.float64), np.asarray(y, np.float64)
    w = np.ones_like(p) if weights is None else np.asarray(weights, np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    total, ece, table = w.sum(), 0.0, []
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        weight = w[m].sum()
        conf = float((p[m] * w[m]).sum() / weight)
        acc = float((y[m] * w[m]).sum() / weight)
        ece += weight / total * abs(conf - acc)
        table.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "pairs": int(m.sum()),
                      "predicted": round(conf, 4), "observed": round(acc, 4)})
    return float(ece), table
