"""Ranking metrics over BEIR-style relevance judgements (graded; score > 0 is relevant)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with linear gains (as BEIR/pytrec_eval)."""
    dcg = sum(
        relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k])
    )
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the top ``k`` (0 if none)."""
    for rank, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k``."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def evaluate(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict:
    """Mean nDCG@10, MRR@10 and Recall@100 over the queries that have judgements."""
    names = ("ndcg@10", "mrr@10", "recall@100")
    totals = dict.fromkeys(names, 0.0)
    n = 0
    for qid, relevant in qrels.items():
        if qid not in runs or not any(g > 0 for g in relevant.values()):
            continue
        ranked = runs[qid]
        totals["ndcg@10"] += ndcg_at_k(ranked, relevant, 10)
        totals["mrr@10"] += mrr_at_k(ranked, relevant, 10)
        totals["recall@100"] += recall_at_k(ranked, relevant, 100)
        n += 1
    return {name: round(total / n, 4) if n else 0.0 for name, total in totals.items()} | {
        "judged_queries": n
    }
