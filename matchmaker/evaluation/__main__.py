"""``python -m matchmaker.evaluation TASK_DIR --json``: measure the production ranking on a BEIR task.

The corpus goes through the portal's pipeline: the same text preparation (documents as
patents: title + text; queries as needs), encoders, vector index, BM25 and fusion; business
rules are off (BEIR documents have no owners or prices). Indexes live in a temporary folder.
Corpus embeddings are cached under ``~/.cache/matchmaker-eval/`` (``--no-cache`` to skip).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time

import numpy as np

from ..config import load_config
from ..encoders import get_encoder, parse_specs
from ..matching.channels import DenseChannel, LexicalChannel
from ..matching.engine import Engine
from ..matching.fusion import FusionConfig
from ..matching.stores import LexicalStore
from ..text import prepare_need, prepare_patent
from ..vectorindex import IndexStore, build_index
from .metrics import evaluate
from .tasks import cached_embeddings, load_task

log = logging.getLogger("matchmaker.evaluation")
DEPTH = 100  # ranked list length scored per query (recall@100); fusion uses its own depth


def build_engine(task, mode: str, specs: list[str], config: dict, workdir: str,
                 use_cache: bool, progress: bool) -> tuple[Engine, dict]:
    """Index the task's corpus into a fresh engine; returns it and per-channel timings."""
    prepared = [prepare_patent(title, text) for title, text in task.corpus.values()]
    ids = np.arange(len(prepared), dtype=np.int64)
    timings: dict[str, float] = {}
    dense = []
    if mode in ("dense", "hybrid"):
        for spec in specs:
            started = time.perf_counter()
            encoder = get_encoder(spec, models_dir=config["MODELS_DIR"],
                                  threads=config["ENCODER_THREADS"])
            store = IndexStore.for_encoder(workdir, "patents", encoder,
                                           exact_limit=config["EXACT_INDEX_LIMIT"])
            channel = DenseChannel(encoder, {"patents": store})
            keep_ids, keep_prep, _ = channel.split(ids.tolist(), prepared)
            vectors = cached_embeddings(encoder, keep_prep, task.name, use_cache=use_cache,
                                        progress=progress)
            index = build_index(encoder.dim, len(keep_ids),
                                exact_limit=config["EXACT_INDEX_LIMIT"],
                                threads=config["ENCODER_THREADS"])
            index.add(np.asarray(keep_ids, np.int64), vectors)
            store.save(index)
            dense.append(channel)
            timings[encoder.name] = round(time.perf_counter() - started, 2)
    lexical = None
    if mode in ("lexical", "hybrid"):
        started = time.perf_counter()
        store = LexicalStore(workdir, "patents-bm25")
        index = store.new_index()
        index.add(ids.tolist(), [p.lexical for p in prepared])
        store.save(index)
        index.compile()  # weights now, not inside the first query's timing
        lexical = LexicalChannel({"patents": store})
        timings["bm25"] = round(time.perf_counter() - started, 2)
    return Engine(dense, lexical, fusion=FusionConfig()), timings


def run(args) -> dict:
    """Evaluate one task; returns the result object."""
    with tempfile.TemporaryDirectory() as instance:  # load_config may write a secret there
        config = load_config(instance)
    encoder = args.encoder or config["ENCODER"]
    extra = config["EXTRA_ENCODERS"] if args.extra_encoders is None else args.extra_encoders
    specs = list(dict.fromkeys(parse_specs(encoder) + parse_specs(extra)))
    task = load_task(args.task_dir, args.limit_queries)
    doc_ids = list(task.corpus)
    with tempfile.TemporaryDirectory(prefix="matchmaker-eval-") as workdir:
        started = time.perf_counter()
        engine, timings = build_engine(task, args.channels, specs, config, workdir,
                                       not args.no_cache, args.progress)
        index_seconds = time.perf_counter() - started
        runs: dict[str, list[str]] = {}
        started = time.perf_counter()
        for qid, text in task.queries.items():
            hits = engine.search("patents", prepare_need(text), DEPTH)
            runs[qid] = [doc_ids[h.id] for h in hits]
        query_seconds = time.perf_counter() - started
    metrics = evaluate(runs, task.qrels)
    fusion = engine.fusion
    return {
        "task": task.name,
        "mode": args.channels,
        "channels": [c.name for c in engine.channels()],
        **{k: metrics[k] for k in ("ndcg@10", "mrr@10", "recall@100")},
        "queries": len(task.queries),
        "documents": len(task.corpus),
        "index_seconds": round(index_seconds, 2),
        "index_seconds_by_channel": timings,
        "ms_per_query": round(1000 * query_seconds / max(len(task.queries), 1), 2),
        "fusion": {"method": fusion.method, "depth": fusion.depth,
                   "confidence": fusion.confidence, "sure_boost": fusion.sure_boost,
                   "feedback": fusion.feedback},
        "embedding_cache": not args.no_cache,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m matchmaker.evaluation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("task_dir", help="folder with corpus.jsonl, queries.jsonl, qrels.tsv")
    parser.add_argument("--json", action="store_true", help="print one JSON object (default)")
    parser.add_argument("--channels", choices=("dense", "lexical", "hybrid"), default="hybrid")
    parser.add_argument("--limit-queries", type=int, default=None, metavar="N")
    parser.add_argument("--encoder", default=None, help="primary encoder spec (default: config)")
    parser.add_argument("--extra-encoders", default=None, metavar="SPECS",
                        help='comma-separated extra encoder specs ("" for none; default: config)')
    parser.add_argument("--no-cache", action="store_true", help="do not read or write cached "
                        "corpus embeddings")
    parser.add_argument("--progress", action="store_true", help="progress bars on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("MATCHMAKER_LOG_LEVEL", "WARNING"),
                        stream=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not os.path.isfile(os.path.join(args.task_dir, "corpus.jsonl")):
        parser.error(f"{args.task_dir}: no corpus.jsonl (build tasks with build_tasks.py)")
    result = run(args)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
