"""Benchmark the collection store: one saved record, the next search, worker memory (not a test).

    nice .venv/bin/python bench/bench_store.py                  # 100k documents
    nice .venv/bin/python bench/bench_store.py --docs 20000 --no-write

Builds a synthetic collection pair like the portal's patents side (a 512-d exact FAISS index,
USE's dimension, and BM25 over ~60 terms per document drawn from a Zipf-like vocabulary), then
measures: (1) saving one record (``CollectionStore.add``: a delta-log append + fsync) in the
dense and the BM25 collection; (2) the next search of a reader process that had the collection
loaded (it merges the log; no reload); (3) compaction; (4) the memory of worker processes that
load both collections and search once: RSS and private (unshared) memory per worker, with the
bases memory-mapped (now) and copied into each process with BM25 rows as a per-document dict
(the previous loading, reproduced by ``mmap=False`` + ``_thaw``). Replaces the bench_store
section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.indexing import CollectionStore  # noqa: E402
from matchmaker.indexing.dense.factory import DenseBackend  # noqa: E402
from matchmaker.indexing.sparse.factory import SparseBackend  # noqa: E402

START, END = "<!-- bench_store:start -->", "<!-- bench_store:end -->"
DIM = 512


def stores(root: str, mmap: bool = True, stale_interval: float = 1.0):
    # Exact (flat) whatever the size: an HNSW graph of 100k takes many minutes to build on a
    # shared machine, and it is loaded the same way (memory-mapped index.faiss).
    dense = CollectionStore(root, "patents-synthetic",
                            backend=DenseBackend(DIM, exact_limit=10**12, threads=1),
                            identity=("synthetic", "1", DIM), mmap=mmap,
                            stale_interval=stale_interval)
    sparse_backend = SparseBackend()
    sparse = CollectionStore(root, "patents-bm25", backend=sparse_backend,
                             identity=sparse_backend.identity(), mmap=mmap,
                             stale_interval=stale_interval)
    return dense, sparse


def unit(rng, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def terms(rng, n: int, vocab: int = 200_000) -> list[list[str]]:
    ranks = np.minimum(rng.zipf(1.3, (n, 60)), vocab)
    return [[f"t{r}" for r in row] for row in ranks]


def build(root: str, n: int) -> dict:
    rng = np.random.default_rng(0)
    dense, sparse = stores(root)
    started = time.perf_counter()
    index = dense.new_index(n)
    for start in range(0, n, 20_000):
        stop = min(n, start + 20_000)
        index.add(np.arange(start, stop, dtype=np.int64), unit(rng, stop - start))
    dense.save(index)
    dense_s = time.perf_counter() - started
    started = time.perf_counter()
    bm25 = sparse.new_index()
    bm25.add_terms(zip(range(n), terms(rng, n), strict=True))
    sparse.save(bm25)
    return {"dense_kind": index.kind, "build_dense_s": round(dense_s, 1),
            "build_bm25_s": round(time.perf_counter() - started, 1)}


def memory() -> dict:
    """This process's RSS and private (unshared) memory in MB, from /proc."""
    fields = {}
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if parts[0].rstrip(":") in ("Rss", "Private_Clean", "Private_Dirty", "Pss"):
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss_mb": round(fields["Rss"], 1), "pss_mb": round(fields["Pss"], 1),
            "private_mb": round(fields["Private_Clean"] + fields["Private_Dirty"], 1)}


def worker(root: str, mmap: bool, queue, go) -> None:
    """A web worker: load both collections, search once, report memory, wait for the others."""
    import numpy as np

    before = memory()
    dense, sparse = stores(root, mmap=mmap)
    q = unit(np.random.default_rng(5), 1)
    dense.fresh().search(q, 10)
    view = sparse.fresh()
    if not mmap:
        view.base._thaw()  # the previous loader built a dict of per-document rows ...
        view.base.compile()  # ... and the weight matrix from it
    view.search("t1 t7 t42", 10)
    queue.put({"before": before, "after": memory()})
    go.wait(120)  # stay alive so the workers' pages are measured while all are loaded


def workers(root: str, count: int, mmap: bool) -> list[dict]:
    ctx = multiprocessing.get_context("spawn")
    queue, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=worker, args=(root, mmap, queue, go)) for _ in range(count)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=600) for _ in procs]
    go.set()
    for p in procs:
        p.join()
    return results


def reader(root: str, requests, answers) -> None:
    """A worker with both collections loaded, answering searches; reports each search's ms."""
    dense, sparse = stores(root, stale_interval=1.0)
    dense.fresh(), sparse.fresh()
    rng = np.random.default_rng(9)
    answers.put("ready")
    while requests.get() is not None:
        started = time.perf_counter()
        dense.fresh().search(unit(rng, 1), 10)
        sparse.fresh().search("t1 t7 t42 t300", 10)
        answers.put(1000 * (time.perf_counter() - started))


def saves(root: str, count: int) -> dict:
    """p50/max of one saved record (dense + BM25) and of a loaded reader's next search."""
    ctx = multiprocessing.get_context("spawn")
    requests, answers = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=reader, args=(root, requests, answers))
    proc.start()
    assert answers.get(timeout=600) == "ready"
    dense, sparse = stores(root)
    dense.fresh(), sparse.fresh()
    rng = np.random.default_rng(11)
    baseline = []
    for _ in range(10):  # the same reader's search before any save: the reference
        requests.put(1)
        baseline.append(answers.get(timeout=600))
    save_ms, search_ms = [], []
    for i in range(count):
        doc = 10**9 + i if i % 3 else i  # new records and changed ones
        started = time.perf_counter()
        dense.add([doc], unit(rng, 1))
        sparse.add([doc], [" ".join(terms(rng, 1)[0])])
        save_ms.append(1000 * (time.perf_counter() - started))
        requests.put(1)
        search_ms.append(answers.get(timeout=600))
    requests.put(None)
    proc.join()
    started = time.perf_counter()
    dense.compact()
    sparse.compact()
    compact_s = time.perf_counter() - started
    q = lambda xs, p: round(float(np.percentile(xs, p)), 1)  # noqa: E731
    return {"saves": count, "save_p50_ms": q(save_ms, 50), "save_max_ms": q(save_ms, 100),
            "search_before_p50_ms": q(baseline, 50), "search_before_max_ms": q(baseline, 100),
            "next_search_p50_ms": q(search_ms, 50), "next_search_max_ms": q(search_ms, 100),
            "compact_s": round(compact_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as root:
        result = {"docs": args.docs, **build(root, args.docs)}
        print(json.dumps(result), flush=True)
        result["copied"] = workers(root, args.workers, mmap=False)
        result["mapped"] = workers(root, args.workers, mmap=True)
        print(json.dumps(result), flush=True)
        result.update(saves(root, args.saves))
        print(json.dumps(result), flush=True)
    report(result, load_start, args)


def report(r: dict, load_start, args) -> None:
    def row(label, runs):
        cells = [f"{x['after']['rss_mb']:.0f} / {x['after']['private_mb']:.0f}" for x in runs]
        base = runs[0]["before"]["rss_mb"]
        return f"| {label} | {base:.0f} | " + " | ".join(cells) + " |"

    lines = [
        START, "## Collection store (`bench/bench_store.py`)", "",
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {' '.join(f'{x:.1f}' for x in load_start)} "
        f"at start, {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end (shared "
        f"machine). {r['docs']:,} synthetic documents: 512-d {r['dense_kind']} FAISS index "
        f"(built in {r['build_dense_s']} s) + BM25 over 60 Zipf terms each ({r['build_bm25_s']} "
        "s).", "",
        f"One saved record (dense + BM25 `add`, a delta-log append with fsync): p50 "
        f"{r['save_p50_ms']} ms, max {r['save_max_ms']} ms over {r['saves']} saves. The next "
        f"search (dense + BM25) of another process that had both loaded: p50 "
        f"{r['next_search_p50_ms']} ms, max {r['next_search_max_ms']} ms (it merges the log, "
        f"never reloads); the same search before any save: p50 {r['search_before_p50_ms']} ms, "
        f"max {r['search_before_max_ms']} ms. Compacting both logs afterwards: {r['compact_s']} s (a background "
        "job's work).", "",
        f"Memory of {args.workers} worker processes, each loading both collections and "
        "searching once, all alive together (MB; RSS / private = not shared with any other "
        "process):", "",
        "| loading | RSS before load | " + " | ".join(f"worker {i + 1} RSS / private"
                                                     for i in range(args.workers)) + " |",
        "|---|---|" + "---|" * args.workers,
        row("copied, BM25 rows as a dict (previous)", r["copied"]),
        row("memory-mapped (now)", r["mapped"]),
        "",
        "FAISS codes are mapped with `IO_FLAG_MMAP_IFC` since wave 3 (the older `IO_FLAG_MMAP` "
        "copied them into each process; checked "
        "per process in `/proc/self/smaps_rollup`); the BM25 arrays are shared.",
        END,
    ]
    text = "\n".join(lines)
    print(text)
    if args.no_write:
        return
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8")
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
