"""Benchmark index memory per machine: N worker processes sharing one copy (not a test).

    nice .venv/bin/python bench/bench_memory.py                     # 100k, 1 and 4 workers
    nice .venv/bin/python bench/bench_memory.py --docs 1000000 --kind hnsw --no-copied

Builds the synthetic patents side of ``bench_store.py`` (a 512-d FAISS collection, USE's
dimension, plus BM25 over 60 Zipf terms per document), then starts 1 and 4 worker processes
that each load both collections through ``CollectionStore`` and search once, and measures
them while all are alive, from ``/proc/<pid>/smaps_rollup``: RSS, PSS (each shared page
divided among the processes that map it) and private memory. The index memory of the whole
machine is the sum over workers of PSS after loading minus PSS before. "copied" loads the
bases into each process (``mmap=False``, what every worker did before); "mapped" is the
default (``mmap=True``: FAISS ``IO_FLAG_MMAP_IFC``, BM25 ``np.load(mmap_mode="r")``).
Replaces the bench_memory section of bench/RESULTS.md.
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

START, END = "<!-- bench_memory:start -->", "<!-- bench_memory:end -->"
DIM = 512


def stores(root: str, kind: str, mmap: bool = True):
    limit = 10**12 if kind == "flat" else 1
    dense = CollectionStore(root, "patents-synthetic",
                            backend=DenseBackend(DIM, exact_limit=limit, threads=1),
                            identity=("synthetic", "1", DIM), mmap=mmap)
    sparse_backend = SparseBackend()
    sparse = CollectionStore(root, "patents-bm25", backend=sparse_backend,
                             identity=sparse_backend.identity(), mmap=mmap)
    return dense, sparse


def unit(rng, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def terms(rng, n: int, vocab: int = 200_000) -> list[list[str]]:
    ranks = np.minimum(rng.zipf(1.3, (n, 60)), vocab)
    return [[f"t{r}" for r in row] for row in ranks]


def build(root: str, n: int, kind: str) -> dict:
    rng = np.random.default_rng(0)
    dense, sparse = stores(root, kind)
    started = time.perf_counter()
    index = dense.new_index(n)
    for start in range(0, n, 20_000):
        stop = min(n, start + 20_000)
        index.add(np.arange(start, stop, dtype=np.int64), unit(rng, stop - start))
    dense.save(index)
    dense_s = time.perf_counter() - started
    del index, dense  # the store holds what it saved: free it before building BM25
    started = time.perf_counter()
    bm25 = sparse.new_index()
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        bm25.add_terms(zip(range(start, stop), terms(rng, stop - start), strict=True))
    sparse.save(bm25)
    sizes = {p.parent.name: 0 for p in Path(root).glob("*/manifest.json")}
    for path in Path(root).glob("*/*"):
        if path.parent.name in sizes:
            sizes[path.parent.name] += path.stat().st_size
    return {"dense_kind": kind, "build_dense_s": round(dense_s, 1),
            "build_bm25_s": round(time.perf_counter() - started, 1),
            "file_mb": {k: round(v / 2**20) for k, v in sizes.items()}}


def memory(pid: int | str = "self") -> dict:
    """RSS, PSS and private (unshared) memory of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if parts[0].rstrip(":") in ("Rss", "Private_Clean", "Private_Dirty", "Pss"):
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss_mb": round(fields["Rss"], 1), "pss_mb": round(fields["Pss"], 1),
            "private_mb": round(fields["Private_Clean"] + fields["Private_Dirty"], 1)}


def worker(root: str, kind: str, mmap: bool, queue, go, done) -> None:
    """A web worker: load both collections, search once, wait until measured."""
    queue.put(("before", os.getpid(), memory()))
    go.wait(600)
    dense, sparse = stores(root, kind, mmap=mmap)
    dense.fresh().search(unit(np.random.default_rng(5), 1), 10)
    sparse.fresh().search("t1 t7 t42", 10)
    queue.put(("loaded", os.getpid(), None))
    done.wait(1800)  # stays alive (holding its pages) until the parent has measured everyone


def workers(root: str, kind: str, count: int, mmap: bool) -> list[dict]:
    """Start ``count`` workers, measure each from outside once all have loaded."""
    ctx = multiprocessing.get_context("spawn")
    queue, go, done = ctx.Queue(), ctx.Event(), ctx.Event()
    procs = [ctx.Process(target=worker, args=(root, kind, mmap, queue, go, done))
             for _ in range(count)]
    for p in procs:
        p.start()
    before = dict(queue.get(timeout=600)[1:] for _ in procs)
    go.set()
    for _ in procs:
        assert queue.get(timeout=1800)[0] == "loaded"
    results = [{"before": before[p.pid], "after": memory(p.pid)} for p in procs]
    done.set()
    for p in procs:
        p.join()
    return results


def summary(runs: list[dict]) -> dict:
    index = [r["after"]["pss_mb"] - r["before"]["pss_mb"] for r in runs]
    return {"workers": len(runs), "rss_mb": max(r["after"]["rss_mb"] for r in runs),
            "pss_mb": max(r["after"]["pss_mb"] for r in runs),
            "private_mb": max(r["after"]["private_mb"] for r in runs),
            "index_pss_per_worker_mb": round(max(index)),
            "index_machine_mb": round(sum(index))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--kind", choices=("flat", "hnsw"), default="flat")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--no-copied", action="store_true",
                        help="skip copied loading with many workers (memory: N copies)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load_start = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as root:
        built = {"docs": args.docs, **build(root, args.docs, args.kind)}
        print(json.dumps(built), flush=True)
        for count in args.workers:
            for mmap in (False, True):
                if not mmap and args.no_copied and count > 1:
                    continue
                row = {"loading": "mapped" if mmap else "copied",
                       **summary(workers(root, args.kind, count, mmap))}
                rows.append(row)
                print(json.dumps(row), flush=True)
    report(built, rows, load_start, args)


def report(built: dict, rows: list[dict], load_start, args) -> None:
    lines = [
        START, f"## Index memory per machine (`bench/bench_memory.py`, {built['docs']:,} "
        f"documents, {built['dense_kind']})", "",
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {' '.join(f'{x:.1f}' for x in load_start)}"
        " at start (shared machine). Command: `nice .venv/bin/python bench/bench_memory.py "
        f"--docs {args.docs} --kind {args.kind}`. Synthetic patents side: 512-d "
        f"{built['dense_kind']} FAISS collection ({built['file_mb'].get('patents-synthetic')} "
        f"MB of files) + BM25 over 60 Zipf terms per document "
        f"({built['file_mb'].get('patents-bm25')} MB). Each worker loads both through "
        "`CollectionStore` and searches once; all are measured from outside while alive "
        "(`/proc/<pid>/smaps_rollup`). Index memory = PSS after loading - PSS before; the "
        "machine's is the sum over workers.", "",
        "| loading | workers | RSS per worker MB | PSS per worker MB | private per worker MB |"
        " index PSS per worker MB | index memory, whole machine MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['loading']} | {r['workers']} | {r['rss_mb']:.0f} | "
                     f"{r['pss_mb']:.0f} | {r['private_mb']:.0f} | "
                     f"{r['index_pss_per_worker_mb']} | {r['index_machine_mb']} |")
    lines += ["", "copied = `mmap=False` (each worker its own copy, as before); mapped = the "
              "default (FAISS `IO_FLAG_MMAP_IFC`, BM25 `np.load(mmap_mode=\"r\")`): the "
              "workers share one copy in the page cache.", END]
    text = "\n".join(lines)
    print(text)
    if args.no_write:
        return
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8")
    marker_start = START.replace(":start", f":{args.docs}:{args.kind}:start")
    marker_end = END.replace(":end", f":{args.docs}:{args.kind}:end")
    text = text.replace(START, marker_start).replace(END, marker_end)
    if marker_start in old and marker_end in old:
        new = old[:old.index(marker_start)] + text + old[old.index(marker_end) + len(marker_end):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
