"""Replay: keyword matching across scripts through a glossary the multilingual encoder induces.

BM25 shares no token between an English query and a Chinese patent, so across languages only
the multilingual dense channel (USE) ranks. This replay measures whether a term glossary,
built offline from the corpus itself, adds a keyword signal there: the whole domain words of
the documents in the other language (Chinese: ``terms.term_words`` filtered by ``is_term``;
English: content words and their adjacent pairs) and the query's words and word pairs are
embedded with USE; each query phrase takes the document-language words whose cosine reaches
``--min-cos`` (at most ``--per-phrase`` of them), weighted by that cosine. A BM25 over the
other-language documents' words scores them with the translated query; its score, divided by
the query's best, is added with weight ``w`` to the production engine's fused value of those
documents (the production list itself, with its feedback and language-pair weights, is
``w = 0``). Documents in the query's own language are not touched.

    MATCHMAKER_ENCODER_THREADS=1 .venv/bin/python bench/xl_glossary.py \\
        /tmp/xltasks/xl_en_keywords2zh_patent --w 0,0.25,0.5,1 --min-cos 0.6,0.7,0.8

One JSON line per setting: nDCG@10 / MRR@10 on all queries and on the even / odd halves.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

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
from matchmaker.text.normalize import has_cjk  # noqa: E402
from matchmaker.text.segment import stopwords  # noqa: E402
from matchmaker.text.terms import is_term, term_words  # noqa: E402

_EN = re.compile(r"[a-z][a-z\-]+")


def phrases(text: str) -> list[str]:
    """Words worth translating: Chinese domain words, or English content words and pairs."""
    if has_cjk(text):
        return [w for w in term_words(text) if is_term(w)]
    stop = stopwords()
    words = [w for w in _EN.findall(text.lower()) if w not in stop and len(w) > 2]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def bm25(doc_terms: list[list[str]], k1: float = 1.2, b: float = 0.75):
    """A BM25 scorer over ``doc_terms``: call it with {term: weight}."""
    df = Counter(t for terms in doc_terms for t in set(terms))
    n = len(doc_terms)
    lengths = np.array([len(t) for t in doc_terms], dtype=float)
    avg = lengths.mean() if n else 1.0
    tfs = [Counter(t) for t in doc_terms]
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def score(query: dict[str, float]) -> np.ndarray:
        out = np.zeros(n)
        for term, weight in query.items():
            if term not in idf:
                continue
            tf = np.array([c.get(term, 0) for c in tfs], dtype=float)
            out += weight * idf[term] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / avg))
        return out

    return score


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("task_dir")
    parser.add_argument("--w", default="0,0.25,0.5,1")
    parser.add_argument("--min-cos", default="0.6,0.7,0.8")
    parser.add_argument("--per-phrase", type=int, default=2)
    parser.add_argument("--score", choices=("relative", "coverage"), default="relative",
                        help="relative: BM25 over the query's best; coverage: the share of "
                        "the query's phrases whose translation the document holds")
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--control", action="store_true", help="also replay each setting with "
                        "each query's glossary scores shuffled over its other-language "
                        "documents (the same boost, given to the wrong documents)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as instance:
        settings = EngineSettings.from_config(load_config(instance))
    task = load_task(args.task_dir, args.limit_queries)
    doc_ids = list(task.corpus)
    texts = [f"{title} {text}".strip() for title, text in task.corpus.values()]
    side = SIDE[task.direction]
    prepare = prepare_need if task.direction == "need" else prepare_query_as_patent
    with tempfile.TemporaryDirectory(prefix="matchmaker-xl-") as workdir:
        engine, _ = task_engine(task, "hybrid", settings.but(index_dir=workdir))
        primary = engine.dense[0].encoder  # the multilingual channel
        fused = {}
        for qid, text in task.queries.items():
            hits = engine.retrieve(side, prepare(text))[0]
            fused[qid] = {h.id: h.score for h in hits}
    # the glossary: every other-language document word, embedded once per language
    by_language = {"zh": [i for i, t in enumerate(texts) if has_cjk(t)]}
    by_language["en"] = [i for i in range(len(texts)) if i not in set(by_language["zh"])]
    vocab, matrix, scorer, doc_sets = {}, {}, {}, {}
    for language, docs in by_language.items():
        doc_terms = [phrases(texts[i]) for i in docs]
        vocab[language] = sorted({t for terms in doc_terms for t in terms})
        matrix[language] = unit(np.asarray(primary.encode(vocab[language]), dtype=np.float32)) \
            if vocab[language] else np.zeros((0, 1), dtype=np.float32)
        scorer[language] = bm25(doc_terms)
        doc_sets[language] = [set(terms) for terms in doc_terms]
        print(json.dumps({"language": language, "docs": len(docs),
                          "vocabulary": len(vocab[language])}), file=sys.stderr)
    query_phrases = {qid: phrases(text) for qid, text in task.queries.items()}
    every = sorted({p for ps in query_phrases.values() for p in ps})
    phrase_vectors = dict(zip(every, unit(np.asarray(primary.encode(every), dtype=np.float32)),
                              strict=True))
    weights = [float(v) for v in args.w.split(",")]
    for min_cos in (float(v) for v in args.min_cos.split(",")):
        glossary_scores = {}
        for qid, text in task.queries.items():
            other = "en" if has_cjk(text) else "zh"
            docs = by_language[other]
            if not docs or not query_phrases[qid]:
                glossary_scores[qid] = {}
                continue
            sims = np.stack([phrase_vectors[p] for p in query_phrases[qid]]) @ matrix[other].T
            translated: dict[str, float] = {}
            per_phrase = []
            for row in sims:
                picked = {}
                for j in np.argsort(-row)[: args.per_phrase]:
                    if row[j] >= min_cos:
                        term = vocab[other][j]
                        picked[term] = float(row[j])
                        translated[term] = max(translated.get(term, 0.0), float(row[j]))
                per_phrase.append(picked)
            if args.score == "coverage":
                held = [doc_sets[other][k] for k in range(len(docs))]
                scores = np.array([sum(max((c for t, c in picked.items() if t in terms),
                                           default=0.0) for picked in per_phrase)
                                   for terms in held]) / len(per_phrase)
                glossary_scores[qid] = {docs[k]: s for k, s in enumerate(scores) if s > 0}
                continue
            scores = scorer[other](translated)
            top = scores.max() if len(scores) else 0.0
            glossary_scores[qid] = ({docs[k]: s / top for k, s in enumerate(scores) if s > 0}
                                    if top > 0 else {})
        shuffled = {}
        rng = np.random.default_rng(0)
        for qid, scores in glossary_scores.items():
            other = by_language["en" if has_cjk(task.queries[qid]) else "zh"]
            targets = rng.choice(other, size=len(scores), replace=False) if scores else []
            shuffled[qid] = dict(zip(targets, scores.values(), strict=True))
        for w, control in itertools.product(weights, (False, True) if args.control else (False,)):
            runs = {}
            for qid in task.queries:
                values = dict(fused[qid])
                floor = min(values.values()) if values else 0.0
                given = shuffled[qid] if control else glossary_scores[qid]
                for doc, g in given.items():
                    values[doc] = values.get(doc, floor) + w * g
                ranked = sorted(values, key=lambda d: -values[d])
                runs[qid] = [doc_ids[d] for d in ranked if doc_ids[d] != qid][:DEPTH]
            halves = {}
            for parity in (0, 1):
                keep = {q: r for i, (q, r) in enumerate(task.qrels.items()) if i % 2 == parity}
                halves["even" if parity == 0 else "odd"] = evaluate(runs, keep)["ndcg@10"]
            result = evaluate(runs, task.qrels)
            print(json.dumps({"task": task.name, "score": args.score, "min_cos": min_cos, "w": w,
                              "control": control,
                              "ndcg@10": result["ndcg@10"], "mrr@10": result["mrr@10"],
                              **halves}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
