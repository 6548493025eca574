"""Score regularisation over the fused candidates (the cluster hypothesis), replayed on a task.

An experiment, not production code (issue 9's topical targets). Each query's fused list is
computed once by the production engine (``Engine.retrieve``); then the first ``N`` candidates'
z-scored fused values are smoothed with their neighbours' (Diaz, "Regularizing ad hoc retrieval
scores", CIKM 2005):

    z' = (1 - lambda) z + lambda A z,   A[i, j] = softmax_j(cos(v_i, v_j) / tau), j != i

where v are the candidates' stored vectors in the primary (USE) channel (``--channel 1``: the
first extra channel's). A document whose neighbours among the candidates also score well
rises; an isolated one sinks. Candidates after the first N stay below them in their order.
``--gate G`` smooths only queries whose BM25 top hit covers less than G of the query;
``--pin all`` runs production's ``neighbours.smooth`` (every query's first candidate keeps its
place); ``--pin sure`` smooths every query and keeps the first first where the query reaches
the gate; ``--pin coverage:C`` runs production's ``smooth`` with every candidate covering at
least C of the query's terms kept in its place too. ``all`` and ``coverage`` honour the gate.
The pool is the engine's fused lists with its own regularisation off. Prints one JSON line per
setting with nDCG@10 / MRR@10 on all queries and on the even and odd halves.

    .venv/bin/python bench/neighbour_smoothing.py /tmp/tasks/zh_csl_discipline \\
        --n 50 --lam 0.5,0.7,0.9 --tau 0.1 --gate 0.4,1.01 --pin none,sure,all
"""

from __future__ import annotations

import argparse
import dataclasses
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
from matchmaker.matching.fusion import Fused  # noqa: E402
from matchmaker.matching.neighbours import smooth as production_smooth  # noqa: E402
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


def lexical_coverage(engine, side: str, query) -> float:
    """The BM25 top hit's coverage of the query (the engine's "sure" signal); 0 without BM25."""
    if engine.lexical is None:
        return 0.0
    of = engine.fusion.coverage.get(side, "query")
    sure = engine.lexical.search(side, query.lexical, 1, of=of)[2]
    return float(sure or 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task_dir")
    parser.add_argument("--n", default="20,30,50", help="candidates smoothed")
    parser.add_argument("--lam", default="0,0.3,0.5,0.7", help="share of the neighbours' value")
    parser.add_argument("--tau", default="0.1", help="softmax temperature over cosines")
    parser.add_argument("--gate", default="1.01",
                        help="smooth only queries whose BM25 top-hit coverage is below this "
                             "(1.01: every query)")
    parser.add_argument("--pin", default="none",
                        help="keep the first candidate first: none, sure (when the query's "
                             "coverage reaches the gate) or all; comma-separated")
    parser.add_argument("--channel", type=int, default=0,
                        help="whose vectors: 0 the primary, 1 the first extra channel (the "
                             "primary's where the extra lacks a candidate)")
    parser.add_argument("--limit-queries", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    # the pool is the fused lists before any smoothing; this script applies its own
    settings = settings.but(fusion=dataclasses.replace(settings.fusion, neighbours=0.0))
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
            channel = engine.dense[args.channel] if args.channel < len(engine.dense) else None
            found = stored_by_id(channel, side, ids[:max(sizes)]) if channel else {}
            if len(found) < len(ids[:max(sizes)]):  # the channel lacks one: the primary's
                found = stored_by_id(engine.primary, side, ids[:max(sizes)])
            vectors = np.stack([found[i] for i in ids[:max(sizes)] if i in found])
            coverage = lexical_coverage(engine, side, prepare(text))
            own = (engine.lexical.coverage(side, prepare(text).lexical, ids[:max(sizes)])
                   if engine.lexical is not None else np.zeros(len(vectors)))
            pool[qid] = (ids, np.array([item.score for item in fused]), vectors, coverage, own)
        for n, lam, tau, gate, pin in itertools.product(
                sizes, [float(v) for v in args.lam.split(",")],
                [float(v) for v in args.tau.split(",")], [float(v) for v in args.gate.split(",")],
                args.pin.split(",")):
            runs = {}
            smoothed = 0
            for qid, (ids, scores, vectors, coverage, own) in pool.items():
                sure = coverage >= gate
                use = len(vectors) >= n and (not sure or pin == "sure")
                smoothed += use
                if use and (pin == "all" or pin.startswith("coverage:")):
                    # production's smoothing: the first keeps its place, and with
                    # coverage:C so does every candidate covering C of the query
                    limit = float(pin.split(":")[1]) if ":" in pin else np.inf
                    fused = [Fused(i, float(v)) for i, v in zip(ids, scores, strict=True)]
                    movable = [k > 0 and own[k] < limit for k in range(n)]
                    out = production_smooth(fused, vectors[:n], lam, tau, movable)
                    runs[qid] = [doc_ids[f.id] for f in out if doc_ids[f.id] != qid][:DEPTH]
                    continue
                new = smooth(scores, vectors[:n], lam, tau) if use else scores
                if use and pin == "sure" and sure:
                    new = new.copy()
                    new[0] = new.max() + 1.0
                order = np.argsort(-new, kind="stable")
                runs[qid] = [doc_ids[ids[i]] for i in order if doc_ids[ids[i]] != qid][:DEPTH]
            halves = {}
            for parity, name in ((0, "even"), (1, "odd")):
                keep = {q: r for i, (q, r) in enumerate(task.qrels.items()) if i % 2 == parity}
                halves[name] = evaluate(runs, keep)["ndcg@10"]
            result = evaluate(runs, task.qrels)
            print(json.dumps({"task": task.name, "n": n, "lambda": lam, "tau": tau,
                              "gate": gate, "pin": pin, "smoothed": smoothed / max(len(pool), 1),
                              "ndcg@10": result["ndcg@10"], "mrr@10": result["mrr@10"],
                              **halves}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
