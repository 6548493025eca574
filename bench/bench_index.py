"""Benchmark the vector index backends and the encoders (not a test; run it by hand).

    nice .venv/bin/python bench/bench_index.py            # 10k, 100k, 1M (several minutes)
    .venv/bin/python bench/bench_index.py --quick         # 10k and 50k, fewer queries
    .venv/bin/python bench/bench_index.py --sizes 100000 --ivf --no-write

Index vectors are synthetic (512-d) but shaped like real ones: when the encoder part runs, the
generator is calibrated on USE embeddings of the CSL abstracts (same mean, same covariance
spectrum, a field -> topic -> document hierarchy tuned so the neighbour-similarity profile of
2,000 samples matches the real one). Queries are fresh draws from the same topics, never
vectors of the index. Prints a table and replaces the "bench_index" section of
bench/RESULTS.md (other sections are left alone).
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
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

import faiss  # noqa: E402

from matchmaker.indexing import CollectionStore, FlatIndex, HNSWIndex, set_threads  # noqa: E402
from matchmaker.indexing.dense.factory import DenseBackend  # noqa: E402

log = logging.getLogger("bench_index")
DIM = 512
START, END = "<!-- bench_index:start -->", "<!-- bench_index:end -->"
BLOCKS = ("machine", "encoders", "search")
CACHE = ROOT / "bench" / "out" / "csl_use.npy"  # real USE vectors for calibration (ignored)
# Hierarchy calibrated on USE embeddings of 2,000 CSL abstracts (67 disciplines): variance
# shares of field, topic and document noise; see calibrate().
FIELDS, TOPICS, FIELD_SHARE, TOPIC_SHARE = 67, 20_000, 0.35, 0.30


# -- machine and memory ---------------------------------------------------------------------


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo")
               if line.startswith("MemTotal"))
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gb": round(mem / 2**20, 1),
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "faiss": faiss.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process from /proc/self/status (no psutil needed)."""
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- data ----------------------------------------------------------------------------------


class Generator:
    """Unit vectors x = normalise(mu + A z), z = field + topic + document noise (whitened)."""

    def __init__(self, mu: np.ndarray, a: np.ndarray, source: str):
        self.mu, self.a, self.source = mu.astype(np.float32), a.astype(np.float32), source
        rng = np.random.default_rng(2024)
        self.fields = rng.standard_normal((FIELDS, DIM)).astype(np.float32)
        self.topics = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
        self.topic_field = rng.integers(0, FIELDS, TOPICS)

    @classmethod
    def from_real(cls, real: np.ndarray) -> Generator:
        centred = real - real.mean(0)
        w, v = np.linalg.eigh(np.cov(centred.T))
        a = (v * np.sqrt(np.clip(w, 0, None))).T
        return cls(real.mean(0), a, f"calibrated on {len(real)} USE embeddings of CSL abstracts")

    @classmethod
    def parametric(cls) -> Generator:
        # Fallback without real data: the shape fitted to USE embeddings of CSL abstracts
        # (variance i^-0.3 * exp(-i/100), total 0.86; mean vector of norm 0.38).
        i = np.arange(1, DIM + 1)
        variance = i**-0.3 * np.exp(-i / 100)
        variance *= 0.86 / variance.sum()
        mu = np.zeros(DIM, np.float32)
        mu[-1] = 0.38  # along a low-variance axis, as the real mean is
        return cls(mu, np.diag(np.sqrt(variance)), "parametric (shape fitted to USE on CSL)")

    def sample(self, n: int, seed: int, chunk: int = 100_000) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = np.empty((n, DIM), np.float32)
        noise = np.sqrt(1 - FIELD_SHARE - TOPIC_SHARE)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            t = rng.integers(0, TOPICS, m)
            z = (np.sqrt(FIELD_SHARE) * self.fields[self.topic_field[t]]
                 + np.sqrt(TOPIC_SHARE) * self.topics[t]
                 + noise * rng.standard_normal((m, DIM), dtype=np.float32))
            x = self.mu + z @ self.a
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[start:start + m] = x
        return out


def neighbour_profile(x: np.ndarray) -> list[float]:
    """Mean cosine of the 1st, 2nd, 5th, 10th, 50th and 200th nearest neighbour."""
    s = x @ x.T
    np.fill_diagonal(s, -9)
    s = -np.sort(-s, axis=1)
    return [round(float(s[:, k].mean()), 3) for k in (0, 1, 4, 9, 49, 199)]


# -- encoders ------------------------------------------------------------------------------


def read_csl(data: Path, limit: int) -> list[str]:
    with open(data / "csl" / "csl_2k_merged.jsonl", encoding="utf-8") as fh:
        return [json.loads(line)["abstract"] for line in fh][:limit]


def read_uspto(data: Path, limit: int) -> list[str]:
    with open(data / "uspto" / "USPTO_ar_inventors_data.txt", encoding="utf-8") as fh:
        rows = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row[2] for row in rows if len(row) > 2 and row[2].strip()][:limit]


def make_encoder(spec: str, threads: int):
    """A fresh encoder with its own thread setting (the factory caches one per spec)."""
    if spec == "use-multilingual":
        from matchmaker.encoders.use_multilingual import UseMultilingualEncoder

        return UseMultilingualEncoder(threads=threads)
    from matchmaker.encoders.sentence_transformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(spec.split(":", 1)[1], models_dir=str(ROOT / "models"),
                                      threads=threads)


def bench_encoder(spec: str, texts: list[str], threads: int) -> tuple[dict, np.ndarray]:
    t0 = time.perf_counter()
    enc = make_encoder(spec, threads)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = enc.encode(texts)
    took = time.perf_counter() - t0
    row = {"encoder": spec, "threads": threads, "docs": len(texts),
           "mean_chars": round(np.mean(list(map(len, texts)))),
           "load_s": round(load, 1), "docs_per_s": round(len(texts) / took, 1)}
    log.info("encoder %s", row)
    return row, vectors


# -- indexes -------------------------------------------------------------------------------


def latencies(index, queries: np.ndarray, k: int) -> tuple[float, float]:
    took = []
    for q in queries:
        t0 = time.perf_counter()
        index.search(q[None, :], k)
        took.append(time.perf_counter() - t0)
    return float(np.percentile(took, 50) * 1e3), float(np.percentile(took, 95) * 1e3)


def recall10(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth,
                                                                                  strict=True)]))


def build(index, ids: np.ndarray, x: np.ndarray, chunk: int = 100_000) -> tuple[float, float]:
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    for start in range(0, len(ids), chunk):
        index.add(ids[start:start + chunk], x[start:start + chunk])
        if len(ids) > chunk:
            log.info("  %s %d/%d  %.0fs", index.kind, start + chunk, len(ids),
                     time.perf_counter() - t0)
    return time.perf_counter() - t0, rss_mb() - before


def bench_size(n: int, gen: Generator, args) -> list[dict]:
    log.info("size %d: generating", n)
    x = gen.sample(n, seed=n)
    queries = gen.sample(args.queries, seed=7)
    ids = np.arange(1, n + 1, dtype=np.int64) * 7  # primary keys, not positions
    rows = []

    flat = FlatIndex(DIM)
    took, mem = build(flat, ids, x)
    truth = flat.search(queries, 10)[1]
    p50, p95 = latencies(flat, queries, args.k)
    rows.append({"n": n, "index": "flat (exact)", "param": "", "build_s": took, "mem_mb": mem,
                 "p50_ms": p50, "p95_ms": p95, "recall10": 1.0})
    del flat
    gc.collect()

    hnsw = HNSWIndex(DIM)
    took, mem = build(hnsw, ids, x)
    default_ef = hnsw.ef_search
    for ef in args.ef:
        hnsw.ef_search = ef
        p50, p95 = latencies(hnsw, queries, args.k)
        rows.append({"n": n, "index": "hnsw M=32 efC=64", "param": f"efSearch={ef}",
                     "build_s": took, "mem_mb": mem, "p50_ms": p50, "p95_ms": p95,
                     "recall10": recall10(hnsw.search(queries, 10)[1], truth)})
    hnsw.ef_search = default_ef
    if args.store:
        rows.append(store_round_trip(n, hnsw))
    del hnsw
    gc.collect()

    if args.ivf and n <= args.ivf_max:
        nlist = int(4 * np.sqrt(n))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        before, t0 = rss_mb(), time.perf_counter()
        sample = np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)
        ivf.train(x[sample])
        ivf.add_with_ids(x, ids)
        took, mem = time.perf_counter() - t0, rss_mb() - before
        for nprobe in args.nprobe:
            ivf.nprobe = nprobe
            p50, p95 = latencies(_Raw(ivf), queries, args.k)
            rows.append({"n": n, "index": f"ivf-flat nlist={nlist}", "param": f"nprobe={nprobe}",
                         "build_s": took, "mem_mb": mem, "p50_ms": p50, "p95_ms": p95,
                         "recall10": recall10(ivf.search(queries, 10)[1], truth)})
        del ivf
    del x
    gc.collect()
    return rows


class _Raw:
    """A bare FAISS index searched like ours: one query on one OpenMP thread."""

    def __init__(self, index):
        self.index = index

    def search(self, q, k):
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self.index.search(q, k)
        finally:
            faiss.omp_set_num_threads(before)


def store_round_trip(n: int, index: HNSWIndex) -> dict:
    """Save through CollectionStore (checksums, manifest) and load it back as a worker would."""
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        store = CollectionStore(tmp, "bench", backend=DenseBackend(DIM),
                                identity=("synthetic", "1", DIM))
        t0 = time.perf_counter()
        store.save(index)
        saved = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in store.directory.iterdir()) / 2**20
        t0 = time.perf_counter()
        fresh = CollectionStore(tmp, "bench", backend=DenseBackend(DIM),
                                identity=("synthetic", "1", DIM))
        fresh.get()
        loaded = time.perf_counter() - t0
    return {"n": n, "index": "hnsw via CollectionStore", "param": f"files {size:.0f} MB",
            "build_s": saved, "mem_mb": float("nan"), "p50_ms": float("nan"),
            "p95_ms": float("nan"), "recall10": float("nan"), "load_s": loaded}


# -- report --------------------------------------------------------------------------------


def fmt(value, digits=1) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def block(name: str, lines: list[str]) -> str:
    """A sub-block of the section, replaced on its own by later partial runs."""
    return "\n".join([f"<!-- bench_index:{name} -->", *lines, f"<!-- /bench_index:{name} -->"])


def machine_block(info: dict, args) -> str:
    command = " ".join(["bench/bench_index.py", *sys.argv[1:]])
    return block("machine", [
        f"Last run: {info['nproc']} cores ({info['cpu']}), {info['ram_gb']} GB RAM, load average "
        f"{info['load']} at start and {info['load_end']} at the end (the machine is shared: "
        f"other jobs compete for the cores); {info['date']}; faiss {info['faiss']}, numpy "
        f"{info['numpy']}, Python {info['python']}; FAISS threads {args.threads} (single-query "
        f"searches run on one thread). Command: `{command}`."
    ])


def encoders_block(info: dict, enc_rows: list[dict]) -> str:
    lines = ["### Encoding throughput", "",
             f"Measured {info['date']}, load average {info['load']}.",
             "", "| encoder | threads | documents | mean chars | load s | docs/s |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['encoder']} | {r['threads']} | {r['docs']} | {r['mean_chars']} | "
              f"{r['load_s']} | "
              f"{r['docs_per_s']} |" for r in enc_rows]
    lines += ["", "USE on Chinese CSL abstracts, MiniLM on English USPTO abstracts, batch 64, "
              "after loading (load time separate)."]
    return block("encoders", lines)


def search_block(info: dict, rows: list[dict], gen: Generator, args, profiles: dict) -> str:
    lines = ["### Index search (one query at a time, k=50)", "",
             f"Measured {info['date']}, load average {info['load']}. Data: synthetic 512-d unit "
             f"vectors, {gen.source}; neighbour-similarity profile (mean cosine of the "
             f"1st/2nd/5th/10th/50th/200th neighbour among 2,000) real "
             f"{profiles.get('real', 'n/a')}, synthetic {profiles['synthetic']}. "
             f"{args.queries} queries drawn from the same topics (not in the index). Recall@10 "
             "is against exact search on the same data. Memory is the growth of the process "
             "RSS while building. \"hnsw via CollectionStore\": save with checksums and manifest, "
             "then load in a fresh store as a worker would.", "",
             "| vectors | index | parameter | build s | memory MB | p50 ms | p95 ms | recall@10 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        build_s = fmt(r["build_s"])
        if "load_s" in r:
            build_s += f" (save), {r['load_s']:.1f} (load)"
        lines.append(f"| {r['n']:,} | {r['index']} | {r['param']} | {build_s} | "
                     f"{fmt(r['mem_mb'], 0)} | {fmt(r['p50_ms'], 2)} | {fmt(r['p95_ms'], 2)} | "
                     f"{fmt(r['recall10'], 3)} |")
    return block("search", lines)


def write_section(path: Path, blocks: dict[str, str]) -> None:
    """Replace our blocks inside our section of RESULTS.md; leave everything else alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if START not in text or END not in text:
        skeleton = [START, "## Vector index and encoders (`bench/bench_index.py`)", ""]
        for name in BLOCKS:
            skeleton += [block(name, ["(not measured yet)"]), ""]
        text = text.rstrip("\n") + "\n\n" + "\n".join(skeleton + [END]) + "\n"
    head, rest = text.split(START, 1)
    section, tail = rest.split(END, 1)
    for name, content in blocks.items():
        opening, closing = f"<!-- bench_index:{name} -->", f"<!-- /bench_index:{name} -->"
        if opening in section and closing in section:
            before, after = section.split(opening, 1)
            section = before + content + after.split(closing, 1)[1]
        else:
            section = section.rstrip("\n") + "\n\n" + content + "\n"
    path.write_text(head + START + section + END + tail, encoding="utf-8")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--quick", action="store_true", help="10k and 50k, 100 queries, 300 docs")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--encoder-threads", default="1,2", help="thread counts to measure encoders at")
    p.add_argument("--ef", default="64,128,256", help="HNSW efSearch values to measure")
    p.add_argument("--ivf", action="store_true", help="also measure IVF-Flat (raw FAISS)")
    p.add_argument("--nprobe", default="8,16,32,64")
    p.add_argument("--ivf-max", type=int, default=200_000,
                   help="skip IVF above this size (k-means training is slow on 2 cores)")
    p.add_argument("--docs", type=int, default=2000, help="documents per encoder")
    p.add_argument("--no-encode", action="store_true", help="skip the encoder throughput part")
    p.add_argument("--encode-only", action="store_true", help="only the encoder part")
    p.add_argument("--no-store", dest="store", action="store_false")
    p.add_argument("--no-write", action="store_true", help="do not touch the results file")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.docs = "10000,50000", 100, 300
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.ef = [int(s) for s in args.ef.split(",")]
    args.encoder_threads = [int(s) for s in args.encoder_threads.split(",")]
    args.nprobe = [int(s) for s in args.nprobe.split(",")]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    set_threads(args.threads)
    info = machine()

    blocks = {}
    real = np.load(CACHE, allow_pickle=False) if CACHE.exists() else None
    if not args.no_encode and args.data.is_dir():
        enc_rows = []
        zh, en = read_csl(args.data, args.docs), read_uspto(args.data, min(args.docs, 1000))
        for threads in args.encoder_threads:
            row, vectors = bench_encoder("use-multilingual", zh, threads)
            enc_rows.append(row)
            if len(vectors) >= 1000 and (real is None or len(vectors) >= len(real)):
                real = vectors
                CACHE.parent.mkdir(exist_ok=True)
                np.save(CACHE, real, allow_pickle=False)
            row, _ = bench_encoder("sentence-transformers:all-MiniLM-L6-v2", en, threads)
            enc_rows.append(row)
        blocks["encoders"] = encoders_block(info, enc_rows)
    elif not args.no_encode:
        log.warning("no data at %s: skipping encoders", args.data)

    if not args.encode_only:
        gen = Generator.from_real(real) if real is not None and len(real) >= 1000 \
            else Generator.parametric()
        profiles = {"synthetic": neighbour_profile(gen.sample(2000, seed=1))}
        if real is not None:
            profiles["real"] = neighbour_profile(real[:2000])
        rows = []
        for n in args.sizes:
            rows += bench_size(n, gen, args)
            log.info("size %d done, peak RSS %.0f MB", n, rss_mb("VmHWM"))
        blocks["search"] = search_block(info, rows, gen, args, profiles)

    info["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    blocks["machine"] = machine_block(info, args)
    for content in blocks.values():
        print(content, end="\n\n")
    if not args.no_write:
        write_section(args.results, blocks)


if __name__ == "__main__":
    main()
