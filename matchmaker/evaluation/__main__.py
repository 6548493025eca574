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

from ..config import load_config
from ..encoders import parse_specs
from ..matching.builder import build_engine, index_documents
from ..matching.engine import SIDE, Engine
from ..matching.settings import EngineSettings
from ..text import Prepared, prepare_need, prepare_patent
from .metrics import evaluate
from .tasks import cached_embeddings, load_task

log = logging.getLogger("matchmaker.evaluation")
DEPTH = 100  # ranked list length scored per query (recall@100); fusion uses its own depth


def task_engine(task, mode: str, settings: EngineSettings, *, use_cache: bool = True,
                progress: bool = False) -> tuple[Engine, dict]:
    """Index the task's corpus (documents as patents, or as needs for direction "patent"; ids
    = corpus order) into an engine built by ``build_engine``; returns it and per-channel
    seconds."""
    dense = mode in ("dense", "hybrid")
    side = SIDE[task.direction]
    engine = build_engine(settings if dense else settings.but(encoders=()),
                          sides=(side,), lexical=mode in ("lexical", "hybrid"))
    prepare = prepare_patent if task.direction == "need" else prepare_document_as_need
    prepared = [prepare(title, text) for title, text in task.corpus.values()]

    def vectors(channel, keep):
        return cached_embeddings(channel.encoder, keep, task.name, use_cache=use_cache,
                                 progress=progress)

    timings = index_documents(engine, side, list(range(len(prepared))), prepared,
                              vectors=vectors)
    return engine, timings


def prepare_document_as_need(title: str, text: str) -> Prepared:
    """A corpus document read as a need (title + description)."""
    return prepare_need(title, text) if title else prepare_need(text)


def prepare_query_as_patent(text: str) -> Prepared:
    """A query read as a patent (its text is the abstract)."""
    return prepare_patent("", text)


def rank(engine: Engine, task, depth: int = DEPTH) -> dict[str, list[str]]:
    """The ranked corpus ids of every query, as the portal's free-text search ranks them
    (direction "patent": the query prepared as a patent, against the needs). A document with
    the query's own id (tasks whose queries come from the corpus) is left out."""
    doc_ids = list(task.corpus)
    side = SIDE[task.direction]
    prepare = prepare_need if task.direction == "need" else prepare_query_as_patent
    runs = {}
    for qid, text in task.queries.items():
        hits = engine.search(side, prepare(text), depth + 1)
        runs[qid] = [doc_ids[h.id] for h in hits if doc_ids[h.id] != qid][:depth]
    return runs


def run(args) -> dict:
    """Evaluate one task; returns the result object."""
    with tempfile.TemporaryDirectory() as instance:  # load_config may write a secret there
        settings = EngineSettings.from_config(load_config(instance))
    if args.encoder is not None or args.extra_encoders is not None:
        primary = parse_specs(args.encoder) if args.encoder else list(settings.encoders[:1])
        extra = (list(settings.encoders[1:]) if args.extra_encoders is None
                 else parse_specs(args.extra_encoders))
        settings = settings.but(encoders=primary + extra)
    task = load_task(args.task_dir, args.limit_queries)
    with tempfile.TemporaryDirectory(prefix="matchmaker-eval-") as workdir:
        started = time.perf_counter()
        engine, timings = task_engine(task, args.channels, settings.but(index_dir=workdir),
                                      use_cache=not args.no_cache, progress=args.progress)
        index_seconds = time.perf_counter() - started
        started = time.perf_counter()
        runs = rank(engine, task)
        query_seconds = time.perf_counter() - started
    metrics = evaluate(runs, task.qrels)
    fusion = engine.fusion
    return {
        "task": task.name,
        "direction": task.direction,
        "mode": args.channels,
        "channels": [c.name for c in engine.channels()],
        "vector_backend": settings.vector_backend,
        **{k: metrics[k] for k in ("ndcg@10", "mrr@10", "recall@100")},
        "queries": len(task.queries),
        "documents": len(task.corpus),
        "index_seconds": round(index_seconds, 2),
        "index_seconds_by_channel": timings,
        "ms_per_query": round(1000 * query_seconds / max(len(task.queries), 1), 2),
        "fusion": {"method": fusion.method, "depth": fusion.depth,
                   "confidence": fusion.confidence, "sure_boost": fusion.sure_boost,
                   "feedback": fusion.feedback, "neighbours": fusion.neighbours,
                   "neighbour_languages": list(fusion.neighbour_languages)},
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
