"""The activation rule and the ranking metric it uses; pure, shared by production and simulation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..evaluation.metrics import ndcg_at_k


def ndcg_of_order(order: Sequence[int], grades: Sequence[float], k: int = 10) -> float:
    """nDCG@k of the items in ``order`` (positions into ``grades``)."""
    relevant = {str(i): float(g) for i, g in enumerate(grades) if g > 0}
    return ndcg_at_k([str(i) for i in order], relevant, k)


def ndcgs(orders: Sequence[Sequence[int]], grades: Sequence[Sequence[float]],
          k: int = 10) -> list[float]:
    """nDCG@k per group, over the groups that hold at least one positive (in input order)."""
    return [ndcg_of_order(o, g, k) for o, g in zip(orders, grades, strict=True)
            if np.max(g, initial=0) > 0]


def mean_ndcg(orders: Sequence[Sequence[int]], grades: Sequence[Sequence[float]],
              k: int = 10) -> float:
    """Mean nDCG@k over groups that hold at least one positive."""
    values = ndcgs(orders, grades, k)
    return float(np.mean(values)) if values else 0.0


Z = 1.645  # one-sided 95 %: a gain this many standard errors above zero is not noise


@dataclass(frozen=True)
class Paired:
    """The new ranking against the current one on the same queries: mean nDCG@10 of each,
    the mean per-query gain and its one-sided confidence bounds (gain -/+ Z standard errors)."""

    current: float
    new: float
    gain: float
    lower: float
    upper: float
    groups: int

    @classmethod
    def of(cls, current: Sequence[float], new: Sequence[float], z: float = Z) -> Paired:
        a, b = np.asarray(current, float), np.asarray(new, float)
        if a.shape != b.shape:
            raise ValueError("paired figures need the same queries on both sides")
        n = len(a)
        if n == 0:
            return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0)
        diff = b - a
        se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
        gain = float(diff.mean())
        return cls(float(a.mean()), float(b.mean()), gain, gain - z * se, gain + z * se, n)

    def as_dict(self) -> dict:
        return {"current": round(self.current, 4), "new": round(self.new, 4),
                "gain": round(self.gain, 4), "lower": round(self.lower, 4),
                "upper": round(self.upper, 4), "groups": self.groups}


@dataclass(frozen=True)
class Verdict:
    """Whether a new model may replace the current ranking, with the figures behind it."""

    activate: bool
    reason: str
    decisions: dict
    benchmark: dict | None

    def as_dict(self) -> dict:
        return {"activate": self.activate, "reason": self.reason,
                "decisions": self.decisions, "benchmark": self.benchmark}


def decide(later: Paired, margin: float, min_groups: int,
           benchmark: Paired | None = None) -> Verdict:
    """The activation rule, on paired per-query comparisons (not bare means).

    The later decisions (pairs decided after the training window) grade only what brokers
    were shown, the top of the current ranking: they catch a model that misorders it, but
    cannot see the gain of lifting a relevant candidate from deeper in the list. The benchmark
    (stored candidates with full judgements) sees the whole list. So:

    - too few later groups: refused;
    - with a benchmark: the model must not be worse on the later decisions (the upper bound
      of its gain reaches zero) and must beat the current ranking on the benchmark by
      ``margin`` on average, with the gain's lower bound above zero (not noise);
    - without one, the later decisions must show that gain themselves.
    """
    decisions = later.as_dict()
    bench = benchmark.as_dict() if benchmark is not None else None
    if later.groups < min_groups:
        return Verdict(False, "too_few_decisions", decisions, bench)
    if benchmark is None:
        if later.gain < margin or later.lower <= 0:
            return Verdict(False, "not_better_on_later_decisions", decisions, bench)
        return Verdict(True, "better", decisions, bench)
    if later.upper < 0:
        return Verdict(False, "worse_on_later_decisions", decisions, bench)
    if benchmark.gain < margin or benchmark.lower <= 0:
        return Verdict(False, "not_better_on_benchmark", decisions, bench)
    return Verdict(True, "better", decisions, bench)
