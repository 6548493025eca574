"""Document expansion by corpus neighbours in embedding space, replayed on a task.

An experiment, not production code (issue 9's topical targets). Every corpus vector of the
chosen dense channels is replaced, before indexing, by

    v' = normalise(v + beta * mean(v_n for n in the k nearest other documents of the corpus))

(the cluster hypothesis applied on the document side, as in cluster-based document smoothing,
Kurland & Lee 2004; Liu & Croft 2004). A document whose neighbourhood lies close to the query
rises; an isolated near-miss sinks. Unlike the neighbour regularisation after fusion
(``neighbours.smooth``, the first 50 fused candidates of one query), the neighbours come
from the whole corpus and the change reaches the first retrieval, so it can bring in
documents that no channel had in its list. Queries are encoded as in production; everything
else (fusion, feedback, regularisation) is the production engine's, on the expanded vectors.
Prints one JSON line per setting: nDCG@10 / MRR@10 on all queries and on the even and odd
halves (choose on one half, check on the other).

    .venv/bin/python bench/doc_expansion.py /tmp/tasks/en_uspto_same_ipc_group \\
        --k 10,20,50 --beta 0,0.3,0.6,1.0 [--channels all|use|MiniLM]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.config import load_config  # noqa: E402
from matchmaker.evaluation.__main__ import prepare_document_as_need, rank  # noqa: E402
from matchmaker.evaluation.metrics import evaluate  # noqa: E402
from matchmaker.evaluation.tasks import cached_embeddings, load_task  # noqa: E402
from matchmaker.matching.builder import build_engine, index_documents  # noqa: E402
from matchmaker.matching.engine import SIDE  # noqa: E402
from matchmaker.matching.settings import EngineSettings  # noqa: E402
from matchmaker.text import prepare_patent  # noqa: E402

BLOCK = 2048


def expand(vectors: np.ndarray, k: int, beta: float) -> np.ndarray:
    """Each row plus ``beta`` times the mean of its ``k`` nearest other rows, renormalised."""
    if beta <= 0 or k <= 0 or len(vectors) <= k:
        return vectors
    base = np.ascontiguousarray(vectors, dtype=np.float32)
    out = np.empty_like(base)
    for start in range(0, len(base), BLOCK):
        block = base[start:start + BLOCK]
        sims = block @ base.T
        sims[np.arange(len(block)), start + np.arange(len(block))] = -np.inf  # not itself
        nearest = np.argpartition(-sims, k, axis=1)[:, :k]
        out[start:start + BLOCK] = block + beta * base[nearest].mean(axis=1)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def halves(runs: dict, qrels: dict) -> tuple[float, float]:
    ids = list(runs)
    even = {q: runs[q] for q in ids[0::2]}
    odd = {q: runs[q] for q in ids[1::2]}
    return (evaluate(even, {q: qrels[q] for q in even if q in qrels})["ndcg@10"],
            evaluate(odd, {q: qrels[q] for q in odd if q in qrels})["ndcg@10"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task_dir")
    parser.add_argument("--k", default="10,20", help="neighbours per document")
    parser.add_argument("--beta", default="0,0.6", help="weight of the neighbours' mean")
    parser.add_argument("--channels", default="all",
                        help='"all", or a part of one dense channel\'s name (use, MiniLM)')
    parser.add_argument("--limit-queries", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    task = load_task(args.task_dir, args.limit_queries)
    side = SIDE[task.direction]
    prepare = prepare_patent if task.direction == "need" else prepare_document_as_need
    prepared = [prepare(title, text) for title, text in task.corpus.values()]
    plain: dict[str, np.ndarray] = {}
    for k in [int(v) for v in args.k.split(",")]:
        for beta in [float(v) for v in args.beta.split(",")]:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="matchmaker-docexp-") as workdir:
                engine = build_engine(settings.but(index_dir=workdir), sides=(side,),
                                      lexical=True)

                def vectors(channel, keep, k=k, beta=beta):
                    if channel.name not in plain:
                        plain[channel.name] = cached_embeddings(channel.encoder, keep, task.name)
                    chosen = args.channels == "all" or args.channels in channel.name
                    return expand(plain[channel.name], k, beta) if chosen else plain[channel.name]

                index_documents(engine, side, list(range(len(prepared))), prepared,
                                vectors=vectors)
                runs = rank(engine, task)
            metrics = evaluate(runs, task.qrels)
            even, odd = halves(runs, task.qrels)
            print(json.dumps({"task": task.name, "k": k, "beta": beta, "channels": args.channels,
                              "ndcg@10": round(metrics["ndcg@10"], 4),
                              "mrr@10": round(metrics["mrr@10"], 4),
                              "even": round(even, 4), "odd": round(odd, 4),
                              "seconds": round(time.perf_counter() - started)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
