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


def mean_ndcg(orders: Sequence[Sequence[int]], grades: Sequence[Sequence[float]],
              k: int = 10) -> float:
    """Mean nDCG@k over groups that hold at least one positive."""
    values = [ndcg_of_order(o, g, k) for o, g in zip(orders, grades, strict=True)
              if np.max(g, initial=0) > 0]
    return float(np.mean(values)) if values else 0.0


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


def decide(current: float, new: float, groups: int, margin: float, min_groups: int,
           benchmark: tuple[float, float] | None) -> Verdict:
    """The rule: enough later decisions, and the new model beats the current ranking by
    ``margin`` (absolute nDCG@10) on them and, when a benchmark was run, on it too."""
    decisions = {"current": round(current, 4), "new": round(new, 4), "groups": groups,
                 "gain": round(new - current, 4)}
    bench = None
    if benchmark is not None:
        bench = {"current": round(benchmark[0], 4), "new": round(benchmark[1], 4),
                 "gain": round(benchmark[1] - benchmark[0], 4)}
    if groups < min_groups:
        return Verdict(False, "too_few_decisions", decisions, bench)
    if new - current < margin:
        return Verdict(False, "not_better_on_later_decisions", decisions, bench)
    if benchmark is not None and benchmark[1] - benchmark[0] < margin:
        return Verdict(False, "not_better_on_benchmark", decisions, bench)
    return Verdict(True, "better", decisions, bench)
