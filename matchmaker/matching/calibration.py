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

The model (fitted by ``python -m matchmaker.evaluation.calibrate``, shipped as
``calibration_default.json``) is monotone in the candidate's own evidence: more similarity,
coverage or agreement never lowers the score. Two kinds: boosted trees (``Trees``, format 3,
the default since the context changes the SHAPE of the evidence-to-relevance curve, not only
its level) whose splits on evidence are checked for monotonicity when the file is loaded, and
a logistic model with non-negative weights on the evidence (``Model``, format 2). Scores fall into
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
FORMAT = 2  # logistic
TREES_FORMAT = 3  # boosted trees
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


class Trees:
    """Boosted regression trees over ``FEATURES`` (LightGBM, binary log-loss), evaluated in
    numpy: P = sigmoid(sum of the leaves reached). Each tree is flat arrays: ``feature`` (-1 for
    a leaf), ``threshold`` (go left when the value is <= it), ``left`` / ``right`` (child
    indexes, always after their parent) and ``value`` (a leaf's output)."""

    KEYS = ("feature", "threshold", "left", "right", "value")

    def __init__(self, trees: list[dict], manifest: dict):
        self.trees = [{
            "feature": np.asarray(t["feature"], np.int64),
            "threshold": np.asarray(t["threshold"], np.float64),
            "left": np.asarray(t["left"], np.int64),
            "right": np.asarray(t["right"], np.int64),
            "value": np.asarray(t["value"], np.float64),
        } for t in trees]
        self.manifest = manifest
        self._check()
        self._stack()

    def _check(self) -> None:
        """Raises ValueError unless every tree is well formed and non-decreasing in each
        monotone feature (every leaf left of a split on one is at most every leaf right of it)."""
        rising = {FEATURES.index(name) for name in MONOTONE}
        if not self.trees:
            raise ValueError("calibration file: no trees")
        for t in self.trees:
            n = len(t["feature"])
            if n == 0 or any(len(t[k]) != n for k in self.KEYS):
                raise ValueError("calibration file: a tree's arrays differ in length")
            for node in range(n):
                f = int(t["feature"][node])
                if f < 0:
                    continue
                kids = int(t["left"][node]), int(t["right"][node])
                if f >= len(FEATURES) or not all(node < k < n for k in kids):
                    raise ValueError("calibration file: a malformed tree")
                if f in rising and (self._leaves(t, kids[0]).max()
                                    > self._leaves(t, kids[1]).min() + 1e-12):
                    raise ValueError(f"calibration file: not monotone in {FEATURES[f]}")

    @staticmethod
    def _leaves(t: dict, node: int) -> np.ndarray:
        out, stack = [], [node]
        while stack:
            k = stack.pop()
            if t["feature"][k] < 0:
                out.append(t["value"][k])
            else:
                stack += [int(t["left"][k]), int(t["right"][k])]
        return np.asarray(out)

    def _stack(self) -> None:
        """All trees as padded [tree, node] arrays, so a list's rows walk every tree at once
        (a leaf, and padding, leads to itself): one numpy step per level, not per tree."""
        width = max(len(t["feature"]) for t in self.trees)
        shape = (len(self.trees), width)
        self._feature = np.full(shape, -1, np.int64)
        self._threshold = np.zeros(shape)
        self._value = np.zeros(shape)
        self._left = np.tile(np.arange(width), (len(self.trees), 1))
        self._right = self._left.copy()
        depth = 0
        for i, t in enumerate(self.trees):
            n, inner = len(t["feature"]), t["feature"] >= 0
            self._feature[i, :n] = t["feature"]
            self._threshold[i, :n] = t["threshold"]
            self._value[i, :n] = np.where(inner, 0.0, t["value"])
            self._left[i, :n] = np.where(inner, t["left"], np.arange(n))
            self._right[i, :n] = np.where(inner, t["right"], np.arange(n))
            level = np.zeros(n, np.int64)
            for node in range(n):  # children come after their parent
                if inner[node]:
                    level[t["left"][node]] = level[t["right"][node]] = level[node] + 1
            depth = max(depth, int(level.max()))
        self._depth = depth

    def raw(self, rows: np.ndarray) -> np.ndarray:
        """The summed leaf outputs (log-odds) of ``rows``."""
        rows = np.atleast_2d(np.asarray(rows, np.float64))
        trees = np.arange(len(self.trees))[None, :]
        at_row = np.arange(len(rows))[:, None]
        node = np.zeros((len(rows), len(self.trees)), np.int64)
        for _ in range(self._depth):
            feature = self._feature[trees, node]
            left = rows[at_row, np.maximum(feature, 0)] <= self._threshold[trees, node]
            node = np.where(left, self._left[trees, node], self._right[trees, node])
        return self._value[trees, node].sum(axis=1)

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(rows)))

    def to_json(self) -> dict:
        return {"format": TREES_FORMAT, "features": list(FEATURES), "monotone": list(MONOTONE),
                "trees": [{"feature": t["feature"].tolist(),
                           "threshold": [float(v) for v in t["threshold"]],
                           "left": t["left"].tolist(), "right": t["right"].tolist(),
                           "value": [round(float(v), 8) for v in t["value"]]}
                          for t in self.trees],
                "manifest": self.manifest}

    @classmethod
    def from_json(cls, data: dict) -> Trees:
        """Raises ValueError on another format, feature list or monotone list, or a tree that
        is malformed or not monotone."""
        if (data.get("format") != TREES_FORMAT or tuple(data.get("features", ())) != FEATURES
                or tuple(data.get("monotone", ())) != MONOTONE):
            raise ValueError("calibration file: unknown format or features")
        return cls(list(data["trees"]), dict(data.get("manifest") or {}))

    @classmethod
    def from_lightgbm(cls, dump: dict, manifest: dict) -> Trees:
        """From ``Booster.dump_model()`` of a model over ``FEATURES`` (numerical splits only)."""
        return cls([_flatten(info["tree_structure"]) for info in dump["tree_info"]], manifest)


def _flatten(root: dict) -> dict:
    """One LightGBM tree (nested dicts) as ``Trees``' flat arrays, children after parents."""
    flat: dict[str, list] = {k: [] for k in Trees.KEYS}
    stack: list[tuple[dict, int | None, str]] = [(root, None, "")]
    while stack:
        node, parent, side = stack.pop()
        at = len(flat["feature"])
        for k in Trees.KEYS:
            flat[k].append(0)
        if parent is not None:
            flat[side][parent] = at
        if "split_feature" not in node:
            flat["feature"][at], flat["value"][at] = -1, float(node.get("leaf_value", 0.0))
            continue
        if node.get("decision_type") != "<=" or node.get("missing_type") not in ("None", "NaN"):
            raise ValueError("calibration: only numerical <= splits are supported")
        flat["feature"][at], flat["threshold"][at] = int(node["split_feature"]), float(
            node["threshold"])
        stack += [(node["right_child"], at, "right"), (node["left_child"], at, "left")]
    return flat


def load_model(data: dict) -> Model | Trees:
    """The model of a calibration file's JSON (format 2: logistic, 3: trees); ValueError when
    it is neither or breaks its rules."""
    if data.get("format") == TREES_FORMAT:
        return Trees.from_json(data)
    return Model.from_json(data)


class Calibrator:
    """Evidence -> calibrated score (0-100) and band.

    ``sides`` holds models for one side of the search where the evidence means something else:
    ``"needs"`` scores the needs a patent finds (patent -> needs), where a long abstract is the
    query and short needs are the candidates. The need -> patent model was off by 0.165 there
    on known items (docs/matching.md, section 10). A side's model scores only queries in the
    languages its data had (``"languages"`` in its file entry: trees say nothing sound about
    evidence they never saw, such as an English query's MiniLM cosine); anything else uses
    ``model``.
    """

    def __init__(self, model: Model | Trees | None, thresholds: Thresholds | None = None,
                 sides: dict[str, tuple[Model | Trees, frozenset[str] | None]] | None = None):
        self.model = model
        self.thresholds = thresholds  # None: scores without bands
        self.sides = dict(sides or {}) if model is not None else {}

    @classmethod
    def load(cls, path: str | Path | None = None,
             thresholds: Thresholds | None = None) -> Calibrator:
        """The model in ``path`` (default: the packaged file); uncalibrated when unreadable.
        A side's model that breaks the rules is dropped (its side uses the main model)."""
        path = Path(path) if path else DEFAULT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = load_model(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("no calibration model (%s): scores stay uncalibrated", exc)
            return cls(None, thresholds)
        sides = {}
        for side, part in (data.get("sides") or {}).items():
            try:
                languages = part.get("languages")
                sides[str(side)] = (load_model(part),
                                    frozenset(map(str, languages)) if languages else None)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("calibration of %s candidates unusable (%s): the main model "
                            "scores them", side, exc)
        return cls(model, thresholds, sides)

    def model_for(self, side: str | None, language: str | None = None) -> Model | Trees | None:
        """The model that scores candidates of ``side`` ("patents", "needs") for a query in
        ``language``."""
        found = self.sides.get(side) if side else None
        if found is None or (found[1] is not None and language not in found[1]):
            return self.model
        return found[0]

    def scores(self, evidence: list[Evidence], side: str | None = None) -> list[int | None]:
        """One 0-100 score per candidate of ``side`` (None when there is no model); the
        candidates are one query's (its language picks the model)."""
        model = self.model_for(side, evidence[0].language if evidence else None)
        if model is None or not evidence:
            return [None] * len(evidence)
        p = model.probability(np.stack([e.vector() for e in evidence]))
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
