"""Replay fusion settings on one evaluation task: the corpus is indexed and every query encoded
once, then each setting only searches and fuses again (minutes instead of one full evaluation
per setting). Prints one JSON line per setting with nDCG@10 / MRR@10 on all queries and on the
even and odd halves (tune on one half, check on the other).

    MATCHMAKER_ENCODER_THREADS=1 nice .venv/bin/python bench/fusion_grid.py /tmp/xltasks/TASK \\
        --set cross_shift=-0.5,0,0.5 --set feedback=0,0.5

``--set NAME=V1,V2`` takes any ``FusionConfig`` field; the grid is their product.
``--weights JSON`` replaces the weight table (e.g. to try other pair weights).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.config import load_config  # noqa: E402
from matchmaker.evaluation.__main__ import (  # noqa: E402
    DEPTH,
    prepare_query_as_patent,
    task_engine,
)
from matchmaker.evaluation.metrics import evaluate  # noqa: E402
from matchmaker.evaluation.tasks import load_task  # noqa: E402
from matchmaker.matching.engine import SIDE  # noqa: E402
from matchmaker.matching.settings import EngineSettings  # noqa: E402
from matchmaker.text import prepare_need  # noqa: E402


def parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("task_dir")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2")
    parser.add_argument("--weights", action="append", default=[], help="a weight table as "
                        "JSON (repeat for several; default: DEFAULT_WEIGHTS)")
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--blind", action="store_true", help="also replay each setting with "
                        "document languages unknown (fusion as before language pairs)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    task = load_task(args.task_dir, args.limit_queries)
    grid = {}
    for item in args.set:
        name, _, values = item.partition("=")
        grid[name] = [parse_value(v) for v in values.split(",")]
    base = settings.fusion
    if args.weights:
        grid["weights"] = [json.loads(w) for w in args.weights]
    doc_ids = list(task.corpus)
    side = SIDE[task.direction]
    prepare = prepare_need if task.direction == "need" else prepare_query_as_patent
    with tempfile.TemporaryDirectory(prefix="matchmaker-grid-") as workdir:
        engine, _ = task_engine(task, "hybrid", settings.but(index_dir=workdir))
        queries = {qid: prepare(text) for qid, text in task.queries.items()}
        vectors = {qid: engine.embed(q) for qid, q in queries.items()}
        known = engine.languages
        blind = (False, True) if args.blind else (False,)
        for combo, unknown in itertools.product(itertools.product(*grid.values()), blind):
            engine.fusion = dataclasses.replace(base, **dict(zip(grid, combo, strict=True)))
            engine.languages = (lambda side, ids: {}) if unknown else known
            runs = {}
            for qid, query in queries.items():
                hits = engine.retrieve(side, query, vectors=vectors[qid])[0][: DEPTH + 1]
                runs[qid] = [doc_ids[h.id] for h in hits if doc_ids[h.id] != qid][:DEPTH]
            halves = {}
            for parity in (0, 1):
                keep = {q: r for i, (q, r) in enumerate(task.qrels.items()) if i % 2 == parity}
                halves["even" if parity == 0 else "odd"] = evaluate(runs, keep)["ndcg@10"]
            result = evaluate(runs, task.qrels)
            shown = {k: v for k, v in zip(grid, combo, strict=True) if k != "weights"}
            if "weights" in grid:
                shown["weights"] = args.weights[grid["weights"].index(engine.fusion.weights)]
            print(json.dumps({"task": task.name, "blind": unknown, **shown,
                              "ndcg@10": result["ndcg@10"], "mrr@10": result["mrr@10"],
                              **halves}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
