"""Benchmark the matching engine end to end (not a test; run it by hand, with ``nice``).

    nice .venv/bin/python bench/bench_matching.py                      # 10k, 100k, 1M + batch
    nice .venv/bin/python bench/bench_matching.py --sizes 10000 --batch-needs 0 --no-write
    nice .venv/bin/python bench/bench_matching.py --sizes 100000 --batch-needs 0 --no-write \
        --fusion lexical_feedback=0          # the cost of one setting: run with and without
    .venv/bin/python bench/bench_matching.py --sizes 1000000 --batch-needs 0 --naive

Corpus: synthetic patents built by recombining real CSL abstracts (../shared/data): patent i
takes the title and first sentences of abstract a and one sentence of abstract b. Its BM25
terms are a's terms plus b's (analysed once, then recombined), and its dense vector is
0.8 v_a + 0.2 v_b (+ noise), re-normalised, from real USE vectors of the 7,867 abstracts, so
only the index-building vectors are synthetic. Queries are real needs-like texts: CSL titles
with their keywords, encoded by USE at query time. Each query runs ``Engine.match`` with
explanations (shared terms, closest sentences encoded by USE with a cold sentence cache), the
business rules over synthetic facts, and the production index policy (HNSW at or above
EXACT_INDEX_LIMIT). Prints a table and replaces the bench_matching section of bench/RESULTS.md.

``--naive`` also times, interleaved query by query with the engine (alternating which goes
first), the naive pipeline the engine must beat: the query encoded by all-MiniLM-L6-v2, an exact
inner-product search (``faiss.IndexFlatIP``, 384-d) over every patent, and the top 10 texts
fetched, with no second channel, rules or explanations. Its index holds random unit vectors
(a flat search costs the same whatever the values). It also reports the recall@10 of the
engine's dense index against an exact search over the same vectors.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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

from matchmaker.config import load_config  # noqa: E402
from matchmaker.evaluation.tasks import cached_embeddings  # noqa: E402
from matchmaker.matching.builder import build_engine  # noqa: E402
from matchmaker.matching.engine import Doc, Engine  # noqa: E402
from matchmaker.matching.explain import SentenceCache  # noqa: E402
from matchmaker.matching.rules import NeedFacts, PatentFacts  # noqa: E402
from matchmaker.matching.settings import EngineSettings  # noqa: E402
from matchmaker.regions import LEAGUES  # noqa: E402
from matchmaker.services.matching import freeze_heap  # noqa: E402
from matchmaker.text import Prepared, prepare_need, prepare_patent, split_sentences  # noqa: E402

START, END = "<!-- bench_matching:start -->", "<!-- bench_matching:end -->"


class Corpus:
    """Synthetic patents from pairs (a, b) of real abstracts; texts are made on demand."""

    def __init__(self, records: list[dict], vectors: np.ndarray, terms: list[list[str]],
                 size: int, seed: int = 7):
        rng = np.random.default_rng(seed)
        self.records, self.terms = records, terms
        self.a = rng.integers(0, len(records), size)
        self.b = rng.integers(0, len(records), size)
        self.vectors = vectors
        self.region = rng.integers(0, len(LEAGUES) + 4, size)  # some holders outside the region
        self.price = rng.uniform(5, 300, size).round(1)
        self.open = rng.random(size) < 0.2

    def __len__(self) -> int:
        return len(self.a)

    def vector_block(self, start: int, stop: int, rng) -> np.ndarray:
        v = 0.8 * self.vectors[self.a[start:stop]] + 0.2 * self.vectors[self.b[start:stop]]
        v += rng.normal(0, 0.01, v.shape).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def doc(self, i: int) -> Doc:
        a, b = self.records[self.a[i]], self.records[self.b[i]]
        sentences = split_sentences(a["text"])[:3] + split_sentences(b["text"])[:1]
        abstract = "".join(sentences)
        return Doc(prepare_patent(a["title"], abstract), abstract, None)

    def facts(self, i: int) -> PatentFacts:
        region = LEAGUES[self.region[i]] if self.region[i] < len(LEAGUES) else "北京市"
        return PatentFacts(int(i), "valid", region, float(self.price[i]),
                           ("open",) if self.open[i] else ("ordinary",))


def load_base(data: Path) -> tuple[list[dict], list[dict]]:
    """(abstract records {title, text}, need records {title, keywords}) from the CSL data."""
    records, seen = [], set()
    needs = []
    for line in open(data / "csl" / "csl_2k_merged.jsonl", encoding="utf-8"):
        r = json.loads(line)
        records.append({"title": r["title"], "text": r["abstract"]})
        seen.add(r["abstract"])
        needs.append({"title": r["title"], "keywords": r["keywords"]})
    for name in sorted((data / "csl").glob("fewclue_csldcp_*.json")):
        for line in open(name, encoding="utf-8"):
            if line.strip():
                text = json.loads(line)["content"]
                if text not in seen:
                    seen.add(text)
                    records.append({"title": split_sentences(text)[0][:40], "text": text})
    return records, needs


def settings_for(workdir: str, threads: int, fusion: dict | None = None) -> EngineSettings:
    """The production settings (config defaults), USE only, indexes in ``workdir``;
    ``fusion`` changes ``FusionConfig`` fields (``--fusion NAME=VALUE``)."""
    with tempfile.TemporaryDirectory() as instance:  # load_config may write a secret there
        settings = EngineSettings.from_config(load_config(instance))
    return settings.but(index_dir=workdir, encoders=("use-multilingual",), threads=threads,
                        fusion=dataclasses.replace(settings.fusion, **(fusion or {})))


def build(corpus: Corpus, settings: EngineSettings, exact=None) -> tuple[Engine, dict]:
    """Index the synthetic corpus into the engine ``build_engine`` makes; returns build timings.
    ``exact`` (a FAISS flat index) receives the same vectors, for recall."""
    engine = build_engine(settings, sides=("patents",))
    timings = {}
    started = time.perf_counter()
    store = engine.primary.stores["patents"]
    index = store.new_index(len(corpus))
    rng = np.random.default_rng(1)
    for start in range(0, len(corpus), 50_000):
        stop = min(start + 50_000, len(corpus))
        block = corpus.vector_block(start, stop, rng)
        index.add(np.arange(start, stop, dtype=np.int64), block)
        if exact is not None:
            exact.add(block)
    store.save(index)
    timings["dense_build_s"] = round(time.perf_counter() - started, 1)
    timings["dense_kind"] = index.kind
    started = time.perf_counter()
    lexical_store = engine.lexical.stores["patents"]
    bm25 = lexical_store.new_index()
    bm25.add_terms((i, corpus.terms[corpus.a[i]] + corpus.terms[corpus.b[i]][::4])
                   for i in range(len(corpus)))
    lexical_store.save(bm25)
    bm25.compile()
    timings["bm25_build_s"] = round(time.perf_counter() - started, 1)
    return engine, timings


def ranking(engine: Engine, query: Prepared, k: int = 10) -> list[int]:
    """The ids a query ranks first, fused, before rules (what the timings below measure)."""
    return [hit.id for hit in engine.search("patents", query, k)]


class Naive:
    """The naive pipeline: MiniLM query vector, exact flat search, the top 10 texts."""

    def __init__(self, size: int, exact):
        import faiss

        from matchmaker.encoders.factory import get_encoder

        self.encoder = get_encoder("sentence-transformers:all-MiniLM-L6-v2",
                                   models_dir=str(ROOT / "models"), threads=1)
        self.index = faiss.IndexFlatIP(self.encoder.dim)
        rng = np.random.default_rng(2)
        for start in range(0, size, 50_000):
            block = rng.normal(size=(min(50_000, size - start), self.encoder.dim))
            self.index.add((block / np.linalg.norm(block, axis=1, keepdims=True))
                           .astype(np.float32))
        self.exact = exact  # flat index over the engine's own dense vectors (recall)

    def query(self, text: str, docs) -> list[int]:
        vector = self.encoder.encode([text])
        _, ids = self.index.search(np.asarray(vector, np.float32), 10)
        found = [int(i) for i in ids[0] if i >= 0]
        docs(found)
        return found

    def recall(self, engine: Engine, vector: np.ndarray) -> tuple[float, float]:
        """Share of the exact top 10 (same vectors) that the engine's dense index returns in its
        top 10, and in the candidates it hands to fusion (its first ``fusion.depth``)."""
        _, truth = self.exact.search(np.asarray(vector, np.float32).reshape(1, -1), 10)
        ids, _ = engine.primary.search("patents", vector, engine.fusion.depth)
        ids = np.asarray(ids).tolist()
        wanted = set(truth[0].tolist())
        return len(wanted & set(ids[:10])) / 10, len(wanted & set(ids)) / 10


def run_queries(engine: Engine, corpus: Corpus, needs: list[dict], n: int,
                naive: Naive | None = None) -> dict:
    """p50/p95 of one need -> top 10 patents with explanations (cold sentence cache), timed
    first for each need (nothing of it cached); with ``naive``, the naive pipeline's time on the
    same need, in alternating order, and the dense index's recall@10."""
    facts = lambda ids: {i: corpus.facts(i) for i in ids}  # noqa: E731
    docs = lambda ids: {i: corpus.doc(i) for i in ids}  # noqa: E731
    total, retrieval, baseline, recall = [], [], [], []
    freeze_heap()  # as a gunicorn worker after its warm-up (gunicorn.conf.py)
    for j, need in enumerate(needs[:n]):
        prepared = prepare_need(need["title"], None, need["keywords"])
        facts_need = NeedFacts(0, "open", "包头市", 10, 100, "licence")
        text = f"{need['title']} {' '.join(need['keywords'])}"
        if naive is not None and j % 2:
            started = time.perf_counter()
            naive.query(text, docs)
            baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        ranked = engine.match("need", facts_need, prepared, 10, facts=facts, docs=docs,
                              cache=SentenceCache(engine.primary.encoder))
        total.append(time.perf_counter() - started)
        assert ranked and ranked[0].explanation["closest_sentences"] is not None
        if naive is not None and not j % 2:
            started = time.perf_counter()
            naive.query(text, docs)
            baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        ranking(engine, prepared)
        retrieval.append(time.perf_counter() - started)
        if naive is not None:
            recall.append(naive.recall(engine, engine.embed(prepared)[engine.primary.name]))
    ms = lambda xs, q: round(1000 * float(np.percentile(xs, q)), 1)  # noqa: E731
    out = {"queries": n, "p50_ms": ms(total, 50), "p95_ms": ms(total, 95),
           "retrieval_p50_ms": ms(retrieval, 50), "retrieval_p95_ms": ms(retrieval, 95)}
    if naive is not None:
        out.update(naive_p50_ms=ms(baseline, 50), naive_p95_ms=ms(baseline, 95),
                   ratio_mean=round(float(np.sum(total) / np.sum(baseline)), 2),
                   ratio_p50=round(float(np.median(total) / np.median(baseline)), 2),
                   recall_at_10=round(float(np.mean([r[0] for r in recall])), 4),
                   recall_in_depth=round(float(np.mean([r[1] for r in recall])), 4))
    return out


def run_batch(engine: Engine, corpus: Corpus, needs: list[dict], n: int) -> dict:
    """1,000 needs (repeating the need texts) through ``Engine.match`` as the batch does."""
    facts = lambda ids: {i: corpus.facts(i) for i in ids}  # noqa: E731
    docs = lambda ids: {i: corpus.doc(i) for i in ids}  # noqa: E731
    cache = SentenceCache(engine.primary.encoder)
    started = time.perf_counter()
    for j in range(n):
        need = needs[j % len(needs)]
        prepared = prepare_need(need["title"], None, need["keywords"])
        engine.match("need", NeedFacts(j, "open", "包头市", 10, 100, "licence"), prepared, 10,
                     facts=facts, docs=docs, cache=cache)
    return {"needs": n, "seconds": round(time.perf_counter() - started, 1)}


def store_cost(needs: int = 1000, per_need: int = 10) -> dict:
    """Seconds to write ``needs * per_need`` new candidate rows the way the batch does (SQLite)."""
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.matching import batch
    from matchmaker.matching.engine import Ranked
    from matchmaker.records import Need, Organization, OrgKind, Patent

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": tmp,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3",
                          "INDEX_DIR": tmp, "ENCODER": "fake"})
        with app.app_context():
            db.create_all()
            org = Organization(kind=OrgKind.ENTERPRISE, name="bench")
            db.session.add(org)
            db.session.flush()
            db.session.add_all(Need(enterprise_id=org.id, title=f"n{i}", description="d")
                               for i in range(needs))
            db.session.add_all(Patent(publication_number=f"CN{i}A", title="t", abstract="a")
                               for i in range(per_need * 10))
            db.session.commit()
            explanation = {"fused": 0.5, "channels": {}, "rules": [], "shared_terms": ["钕铁硼"],
                           "closest_sentences": [], "language": {"need": "zh", "patent": "zh"}}
            started = time.perf_counter()
            for n in range(1, needs + 1):
                ranked = [Ranked(p, 0.5, r, 0.5, {}, [], explanation)
                          for r, p in enumerate(range(1 + n % 10, 1 + n % 10 + per_need), 1)]
                batch.store([(n, r.id, r) for r in ranked], "need")
                if n % 50 == 0:
                    db.session.commit()
            db.session.commit()
            return {"rows": needs * per_need, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch-needs", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1, help="encoder and FAISS threads")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--no-store", action="store_true", help="skip the database-write timing")
    parser.add_argument("--naive", action="store_true",
                        help="also time the naive MiniLM + flat FAISS pipeline, interleaved")
    parser.add_argument("--fusion", action="append", default=[], metavar="NAME=VALUE",
                        help="change a FusionConfig field, e.g. lexical_feedback=0 (repeatable)")
    args = parser.parse_args()
    fusion = {name: json.loads(value) for name, _, value in
              (item.partition("=") for item in args.fusion)}
    load_start = os.getloadavg()
    records, needs = load_base(Path(args.data))
    encoder = build_engine(settings_for(tempfile.gettempdir(), args.threads),
                           sides=()).primary.encoder
    # Prepared like the zh_csl_title2abstract corpus (no title) so the evaluation's embedding
    # cache serves these vectors.
    prepared = [prepare_patent("", r["text"]) for r in records]
    vectors = cached_embeddings(encoder, prepared, "zh_csl_title2abstract", progress=True)
    analyzer = build_engine(settings_for(tempfile.gettempdir(), args.threads),
                            sides=("patents",)).lexical.stores["patents"].backend.analyzer
    terms = [analyzer.terms(prepare_patent(r["title"], r["text"]).lexical) for r in records]
    rng = np.random.default_rng(3)
    needs = [needs[i] for i in rng.permutation(len(needs))]
    rows, batch = [], None
    for size in [int(s) for s in args.sizes.split(",") if s]:
        corpus = Corpus(records, vectors, terms, size)
        with tempfile.TemporaryDirectory(prefix="bench-matching-") as workdir:
            exact = None
            if args.naive:
                import faiss

                exact = faiss.IndexFlatIP(vectors.shape[1])
            engine, timings = build(corpus, settings_for(workdir, args.threads, fusion), exact)
            naive = Naive(size, exact) if args.naive else None
            result = {"patents": size, **timings, **run_queries(engine, corpus, needs,
                                                                  args.queries, naive)}
            del naive, exact
            if size == args.batch_size and args.batch_needs:
                batch = run_batch(engine, corpus, needs, args.batch_needs)
                if not args.no_store:
                    batch["store"] = store_cost(args.batch_needs)
        rows.append(result)
        print(json.dumps(result), flush=True)
        del engine, corpus
    report(rows, batch, load_start, args)


def report(rows: list[dict], batch: dict | None, load_start, args) -> None:
    """Print the table and, unless --no-write, replace our section of bench/RESULTS.md."""
    lines = [
        START, "## Matching engine (`bench/bench_matching.py`)", "",
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}; "
        f"load average {' '.join(f'{x:.1f}' for x in load_start)} at start, "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end (shared machine). "
        f"Encoder and FAISS threads: {args.threads}. One need (CSL title + keywords) -> top 10 "
        "patents with explanations (cold sentence cache); retrieval = encode + both channels "
        "+ fusion.", "",
        "| patents | dense index | build dense / BM25 (s) | p50 ms | p95 ms | "
        "retrieval p50 / p95 ms | queries |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['patents']:,} | {r['dense_kind']} | {r['dense_build_s']} / "
                     f"{r['bm25_build_s']} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r['retrieval_p50_ms']} / {r['retrieval_p95_ms']} | {r['queries']} |")
    naive = [r for r in rows if "naive_p50_ms" in r]
    if naive:
        lines += ["", "Against the naive pipeline (`--naive`: MiniLM query vector, exact flat "
                  "search over every patent, top 10 texts; no second channel, rules or "
                  "explanations), interleaved query by query:", "",
                  "| patents | engine p50 / p95 ms | naive p50 / p95 ms | engine / naive "
                  "(total, p50) | dense recall@10 vs exact | exact top 10 in the dense "
                  "channel's candidates |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['patents']:,} | {r['p50_ms']} / {r['p95_ms']} | {r['naive_p50_ms']} / "
                  f"{r['naive_p95_ms']} | {r['ratio_mean']}x, {r['ratio_p50']}x | "
                  f"{r['recall_at_10']} | {r['recall_in_depth']} |" for r in naive]
    if batch:
        lines += ["", f"Batch: {batch['needs']} needs against {args.batch_size:,} patents, top "
                  f"10 with explanations (shared sentence cache, as `flask match`): "
                  f"{batch['seconds']} s in the engine"
                  + (f", plus {batch['store']['seconds']} s to write its "
                     f"{batch['store']['rows']:,} candidate rows (SQLite, measured apart)."
                     if batch.get("store") else " (database writes not measured).")]
    lines.append(END)
    text = "\n".join(lines)
    print(text)
    if args.no_write:
        return
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
