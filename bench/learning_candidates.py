"""Dump the engine's fused candidates of a benchmark task for the learning benchmark.

    nice .venv/bin/python bench/learning_candidates.py /tmp/tasks/zh_csl_discipline \
        bench/out/zh_csl_discipline.candidates.json

Runs the production retrieval (text preparation, encoders, BM25, fusion; as the evaluation
does) once per query and keeps the top ``--depth`` fused candidates with their channel scores,
so the simulated broker and the learning curve (bench/bench_learning.py) replay them without
encoding anything again.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.config import load_config  # noqa: E402
from matchmaker.evaluation.__main__ import task_engine  # noqa: E402
from matchmaker.evaluation.tasks import load_task  # noqa: E402
from matchmaker.matching.settings import EngineSettings  # noqa: E402
from matchmaker.text import prepare_need  # noqa: E402


def _rounded(vector) -> list[float]:
    # The primary channel's unit vectors, for "how alike" between queries and between
    # candidates (the simulated broker's near-identical needs and patents).
    return [round(float(v), 4) for v in vector]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task_dir")
    parser.add_argument("out")
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--limit-queries", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:  # load_config may write a secret there
        settings = EngineSettings.from_config(load_config(instance))
    task = load_task(args.task_dir, args.limit_queries)
    doc_ids = list(task.corpus)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="matchmaker-learn-") as workdir:
        # the evaluation's engine: the same indexing, embedding cache and fusion
        engine, _ = task_engine(task, "hybrid", settings.but(index_dir=workdir))
        print(f"indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        stored = (engine.primary.stored("patents", list(range(len(doc_ids))))
                  if engine.primary is not None else None)
        queries = {}
        primary = engine.primary
        for n, (qid, text) in enumerate(task.queries.items(), start=1):
            fused, vectors = engine.retrieve("patents", prepare_need(text))
            queries[qid] = {
                "text": text,
                "candidates": [{"id": doc_ids[f.id], "score": round(f.score, 6),
                                "channels": f.channels} for f in fused[: args.depth]],
            }
            if primary is not None and primary.name in vectors:
                queries[qid]["vector"] = _rounded(vectors[primary.name])
            if n % 100 == 0:
                print(f"{n} queries, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    out = {"task": task.name, "channels": [c.name for c in engine.channels()],
           "documents": {d: {"length": len(t) + len(x),
                             **({"vector": _rounded(stored[i])} if stored is not None
                                and len(stored) == len(doc_ids) else {})}
                         for i, (d, (t, x)) in enumerate(task.corpus.items())},
           "qrels": task.qrels, "queries": queries}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}: {len(queries)} queries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
