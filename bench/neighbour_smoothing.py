"""Score regularisation over the fused candidates (the cluster hypothesis), replayed on a task.

An experiment, not production code (issue 9's topical targets). Each query's fused list is
computed once by the production engine (``Engine.retrieve``); then the first ``N`` candidates'
z-scored fused values are smoothed with their neighbours' (Diaz, "Regularizing ad hoc retrieval
scores", CIKM 2005):

    z' = (1 - lambda) z + lambda A z,   A[i, j] = softmax_j(cos(v_i, v_j) / tau), j != i

where v are the candidates' stored vectors in the primary (USE) channel. A document whose
neighbours among the candidates also score well rises; an isolated one sinks. Candidates after
the first N stay below them in their order. Prints one JSON line per setting with nDCG@10 /
MRR@10 on all queries and on the even and odd halves.

    .venv/bin/python bench/neighbour_smoothing.py /tmp/tasks/zh_csl_discipline \\
        --n 20,30,50 --lam 0,0.3,0.5,0.7 --tau 0.1,0.2
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.config import load_config  # noqa: E402
from matchmaker.evaluation.__main__ import DEPTH, prepare_query_as_patent, task_engine  # noqa: E402
from matchmaker.evaluation.metrics import evaluate  # noqa: E402
from matchmaker.evaluation.tasks import load_task  # noqa: E402
from matchmaker.matching.channels import stored_by_id  # noqa: E402
from matchmaker.matching.engine import SIDE  # noqa: E402
from matchmaker.matching.settings import EngineSettings  # noqa: E402
from matchmaker.text import prepare_need  # noqa: E402


def smooth(scores: np.ndarray, vectors: np.ndarray, lam: float, tau: float) -> np.ndarray:
    """``scores`` with the first ``len(vectors)`` smoothed over their neighbours."""
    n = len(vectors)
    if lam <= 0 or n < 3:
        return scores
    top = scores[:n]
    mean, spread = top.mean(), top.std() + 1e-9
    z = (top - mean) / spread
    cosines = vectors @ vectors.T
    np.fill_diagonal(cosines, -np.inf)
    weights = np.exp((cosines - cosines.max(axis=1, keepdims=True)) / tau)
    weights /= weights.sum(axis=1, keepdims=True)
    new = ((1 - lam) * z + lam * (weights @ z)) * spread + mean
    out = scores.copy()
    out[:n] = new
    out[n:] = np.minimum(out[n:], new.min() - 1e-6)  # the rest stays below, in its order
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task_dir")
    parser.add_argument("--n", default="20,30,50", help="candidates smoothed")
    parser.add_argument("--lam", default="0,0.3,0.5,0.7", help="share of the neighbours' value")
    parser.add_argument("--tau", default="0.1", help="softmax temperature over cosines")
    parser.add_argument("--limit-queries", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    task = load_task(args.task_dir, args.limit_queries)
    doc_ids = list(task.corpus)
    side = SIDE[task.direction]
    prepare = prepare_need if task.direction == "need" else prepare_query_as_patent
    sizes = [int(v) for v in args.n.split(",")]
    with tempfile.TemporaryDirectory(prefix="matchmaker-smooth-") as workdir:
        engine, _ = task_engine(task, "hybrid", settings.but(index_dir=workdir))
        pool = {}
        for qid, text in task.queries.items():
            fused = engine.retrieve(side, prepare(text))[0][:DEPTH + 1]
            ids = [item.id for item in fused]
            found = stored_by_id(engine.primary, side, ids[:max(sizes)])
            vectors = np.stack([found[i] for i in ids[:max(sizes)] if i in found])
            pool[qid] = (ids, np.array([item.score for item in fused]), vectors)
        for n, lam, tau in itertools.product(sizes, [float(v) for v in args.lam.split(",")],
                                             [float(v) for v in args.tau.split(",")]):
            runs = {}
            for qid, (ids, scores, vectors) in pool.items():
                new = smooth(scores, vectors[:n], lam, tau) if len(vectors) >= n else scores
                order = np.argsort(-new, kind="stable")
                runs[qid] = [doc_ids[ids[i]] for i in order if doc_ids[ids[i]] != qid][:DEPTH]
            halves = {}
            for parity, name in ((0, "even"), (1, "odd")):
                keep = {q: r for i, (q, r) in enumerate(task.qrels.items()) if i % 2 == parity}
                halves[name] = evaluate(runs, keep)["ndcg@10"]
            result = evaluate(runs, task.qrels)
            print(json.dumps({"task": task.name, "n": n, "lambda": lam, "tau": tau,
                              "ndcg@10": result["ndcg@10"], "mrr@10": result["mrr@10"],
                              **halves}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
