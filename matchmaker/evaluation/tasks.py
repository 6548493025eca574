"""Reading BEIR tasks and caching corpus embeddings between evaluation runs."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..matching.channels import chunk_plan, pool

log = logging.getLogger(__name__)

CACHE_DIR = Path(os.environ.get("MATCHMAKER_EVAL_CACHE", "~/.cache/matchmaker-eval")).expanduser()


@dataclass
class Task:
    """A BEIR task: corpus (id -> (title, text)), queries (id -> text), qrels."""

    name: str
    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    # "need": queries are needs, documents patents; "patent": queries are patents, documents
    # needs (``task.json`` {"direction": "patent"})
    direction: str = "need"


def load_task(directory: str | Path, limit_queries: int | None = None) -> Task:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels.tsv`` (or ``qrels/test.tsv``)."""
    directory = Path(directory)
    corpus: dict[str, tuple[str, str]] = {}
    with open(directory / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                corpus[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    queries: dict[str, str] = {}
    with open(directory / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row.get("text") or ""
    qrels_path = directory / "qrels.tsv"
    if not qrels_path.exists():
        qrels_path = directory / "qrels" / "test.tsv"
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header and header[0] != "query-id":  # no header line: the first row is data
            reader = iter([header, *reader])
        for row in reader:
            if len(row) >= 3 and int(float(row[2])) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(float(row[2]))
    judged = [q for q in queries if q in qrels]
    if limit_queries:
        judged = judged[:limit_queries]
    direction = "need"
    if (directory / "task.json").is_file():
        direction = json.loads((directory / "task.json").read_text()).get("direction", "need")
        if direction not in ("need", "patent"):
            raise ValueError(f"{directory}/task.json: unknown direction {direction!r}")
    return Task(directory.name, corpus, {q: queries[q] for q in judged},
                {q: qrels[q] for q in judged}, direction)


def cached_embeddings(encoder, prepared: list, task: str, *, use_cache: bool = True,
                      progress: bool = False) -> np.ndarray:
    """Corpus vectors, from cached window vectors when the same encoder saw the same windows.

    The cache holds one vector per window (``chunk_plan``), keyed by the encoder's name and
    version and every window text the production text preparation produced, so any change in
    text preparation misses the cache, while a change of pooling weights does not need the
    encoder again.
    """
    texts, weights, owners = chunk_plan(encoder, prepared)
    path = cache_path(encoder, texts, task)
    if use_cache and not path.is_file():
        # Two tasks over the same corpus (title2abstract, keywords2abstract) share vectors.
        path = next(iter(sorted(CACHE_DIR.glob(f"*/{path.name}"))), path)
    vectors = None
    if use_cache and path.is_file():
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape != (len(texts), encoder.dim):
            vectors = None
        else:
            log.info("window vectors from cache %s", path)
    if vectors is None:
        vectors = encoder.encode(texts, batch_size=64, progress=progress)
        if use_cache:
            save_vectors(path, vectors)
    return pool(vectors, weights, owners, len(prepared))


def cache_path(encoder, texts: list[str], task: str) -> Path:
    """Where the window vectors of ``texts`` under ``encoder`` are cached."""
    digest = hashlib.sha256(f"{encoder.name}|{encoder.version}|{len(texts)}".encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\n")
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in encoder.name)
    return CACHE_DIR / task / f"{slug}-w-{digest.hexdigest()[:16]}.npy"


def save_vectors(path: Path, vectors: np.ndarray) -> None:
    """Write an .npy atomically (a killed run leaves no half file under the real name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, np.asarray(vectors, np.float32), allow_pickle=False)
    os.replace(tmp, path)
