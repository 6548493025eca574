"""``python -m matchmaker.evaluation.build_extra_tasks DATA_DIR OUT_DIR``: issue 9's extra tasks.

Built offline from the shared data folder (``../shared/data``; never copied into the
repository), in the BEIR layout ``python -m matchmaker.evaluation`` reads. A task whose queries
are patents and whose documents are needs gets a ``task.json`` saying ``{"direction":
"patent"}``: its queries are then prepared as patents and its documents as needs.

Cross-language (one corpus: the 1,115 USPTO patents with an IPC group in G06F, English, and the
57 Chinese patents of ``cn_patent_sample``; relevant = sharing an IPC/CPC main group, in
either language; a query never counts itself, its id is also a corpus id):
- ``xl_zh2mixed_g06f_group``: the Chinese patents (title + abstract) as queries.
- ``xl_en2mixed_g06f_group``: 200 English patents of those groups (seeded sample).
- ``xl_en_keywords2zh_patent``: known item across languages: the English keywords that come
  with each Chinese patent, as a terse English need, must find that Chinese patent.

Patent -> needs (CSL: abstracts read like patents, keyword lists and titles like needs):
- ``zh_csl_abstract2keywords``: 2,000 abstracts against the 2,000 keyword lists (known item).
- ``zh_csl_abstract2discipline``: the dev abstracts against the test titles of the same
  discipline (topical; mirrors ``zh_csl_discipline``). Queries carry their split parity in
  the id (``-e``/``-o``): tune on even, report all.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

CROSS_PREFIX = "G06F"  # every Chinese sample patent is in G06F
EN_QUERIES = 200
SEED = 13


def write_task(out: Path, name: str, corpus: dict, queries: dict, qrels: dict, *,
               direction: str = "need") -> None:
    """Write one task folder (corpus.jsonl, queries.jsonl, qrels.tsv, task.json)."""
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, (title, text) in corpus.items():
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text},
                                ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
        for query_id, text in queries.items():
            fh.write(json.dumps({"_id": query_id, "text": text}, ensure_ascii=False) + "\n")
    with open(folder / "qrels.tsv", "w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for query_id, relevant in qrels.items():
            for doc_id, grade in relevant.items():
                fh.write(f"{query_id}\t{doc_id}\t{grade}\n")
    (folder / "task.json").write_text(json.dumps({"direction": direction}) + "\n")
    print(f"{name}: corpus={len(corpus)} queries={len(queries)}")


def main_group(code: str) -> str:
    """"G06F 16/35 (20190101)" or "G06F16/3329" -> "G06F16"."""
    return code.split("(")[0].replace(" ", "").split("/")[0].strip()


def uspto_records(data: Path) -> list[dict]:
    """The USPTO patents (id, title, abstract, main groups), first occurrence of a number."""
    records, seen = [], set()
    for path in sorted((data / "uspto").glob("USPTO_*_inventors_data*.txt")):
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                cells = line.rstrip("\n").split("\t")
                if len(cells) != 6 or cells[0] in seen:
                    continue
                seen.add(cells[0])
                groups = {main_group(c) for c in cells[5].split(";") if c.strip()}
                records.append({"id": "us-" + cells[0].replace(",", ""), "title": cells[1],
                                "text": cells[2], "groups": groups})
    return records


def cn_records(data: Path) -> list[dict]:
    """The Chinese sample patents: title and abstract (the English keywords are left out, so
    the task stays across scripts), CPC main groups."""
    records = []
    for path in sorted((data / "cn_patent_sample").glob("sample_*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if not (row.get("publication_number") or "").strip():
                    continue  # the files are padded with empty rows
                fields = parse_cn_text(row["text"])
                records.append({"id": "cn-" + row["publication_number"].strip(),
                                "title": fields.get("title", ""),
                                "keywords": fields.get("keywords", ""),
                                "text": fields.get("abstract", ""),
                                "groups": {main_group(c) for c in json.loads(row["labels"])}})
    return records


def parse_cn_text(text: str) -> dict[str, str]:
    """Title and abstract of a sample row: "Title: ...\nKeywords: ...\nAbstract: ..." or
    "title [SEP] keywords [SEP] abstract"."""
    if "[SEP]" in text:
        cells = [c.strip() for c in text.split("[SEP]")]
        return {"title": cells[0], "keywords": cells[1] if len(cells) > 2 else "",
                "abstract": cells[-1]}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip().lower()] = value.strip()
    return fields


def cross_language_tasks(data: Path, out: Path) -> None:
    """The two cross-language tasks over one mixed corpus."""
    english = [r for r in uspto_records(data)
               if any(g.startswith(CROSS_PREFIX) for g in r["groups"])]
    chinese = cn_records(data)
    everything = english + chinese
    corpus = {r["id"]: (r["title"], r["text"]) for r in everything}
    by_group = defaultdict(set)
    for r in everything:
        for g in r["groups"]:
            by_group[g].add(r["id"])

    def relevant(record):
        return {d: 1 for g in record["groups"] for d in by_group[g] if d != record["id"]}

    def build(name, records):
        queries, qrels = {}, {}
        for r in records:
            rel = relevant(r)
            # only queries that can find the other language count
            if rel and any(d[:3] != r["id"][:3] for d in rel):
                queries[r["id"]] = f"{r['title']}\n{r['text']}"
                qrels[r["id"]] = rel
        write_task(out, name, corpus, queries, qrels)

    build("xl_zh2mixed_g06f_group", chinese)
    # known item across languages: the English keywords of a Chinese patent (a terse English
    # need) must find that Chinese patent among 1,115 English ones
    queries = {f"kw-{r['id']}": r["keywords"].replace(";", " ") for r in chinese
               if r["keywords"].strip()}
    write_task(out, "xl_en_keywords2zh_patent", corpus, queries,
               {q: {q[3:]: 1} for q in queries})
    shared = {g for r in chinese for g in r["groups"]}
    pool = [r for r in english if r["groups"] & shared]
    build("xl_en2mixed_g06f_group",
          random.Random(SEED).sample(pool, min(EN_QUERIES, len(pool))))


def csl_tasks(data: Path, out: Path) -> None:
    """The two patent -> needs tasks from CSL."""
    with open(data / "csl" / "csl_2k_merged.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    needs = {f"kw-{r['id']}": ("", "；".join(r["keywords"])) for r in records}
    write_task(out, "zh_csl_abstract2keywords", needs,
               {f"a-{r['id']}": r["abstract"] for r in records},
               {f"a-{r['id']}": {f"kw-{r['id']}": 1} for r in records}, direction="patent")
    dev = [r for r in records if r["split"] == "dev"]
    test = [r for r in records if r["split"] == "test"]
    queries, qrels = {}, {}
    for position, r in enumerate(dev):
        rel = {f"ti-{t['id']}": 1 for t in test if t["discipline"] == r["discipline"]}
        if rel:
            query_id = f"a-{r['id']}-{'eo'[position % 2]}"
            queries[query_id] = r["abstract"]
            qrels[query_id] = rel
    write_task(out, "zh_csl_abstract2discipline", {f"ti-{t['id']}": ("", t["title"])
                                                   for t in test},
               queries, qrels, direction="patent")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    data, out = Path(argv[0]), Path(argv[1])
    cross_language_tasks(data, out)
    csl_tasks(data, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
