"""Benchmark the ingest path end to end: import, index, match, first queue pages (not a test).

    nice -n 19 .venv/bin/python bench/bench_ingest.py                          # 100k + 2,000
    nice -n 19 .venv/bin/python bench/bench_ingest.py --patents 2000 --needs 100 --no-write
    nice -n 19 .venv/bin/python bench/bench_ingest.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_ingest

Builds an import file of N patents (10 % English) and M needs from the shared real data
(``--data``, default ../shared/data): Chinese patents recombine a CSL title with abstract
sentences drawn from CSL records of the same discipline (csl_2k_merged + FewCLUE csldcp); English
ones a USPTO title with abstract sentences of patents of the same IPC main group (subclass when
the group has fewer than 5 patents), keeping the title record's IPC codes. Chinese patents have
no IPC codes (CSL has none; the discipline goes into 技术领域). Needs are short: a CSL title and
its keywords (English: a USPTO title and the first sentence of a same-group abstract), spread
over the 12 盟市. Everything is seeded (``--seed``).

Then runs the real path as a user would, each stage a ``flask`` subprocess on a fresh database
(SQLite in a temp folder, or ``--database-url`` PostgreSQL: the bench creates and drops that
database) with its own instance and index folders: ``db upgrade``, the organisations and the
broker, ``import-patents``, ``import-needs``, ``build-index`` (what the build job a fresh
install's import queues does), ``match``; then the first queue page of the broker
for three scopes (all, a technical-field filter, a region filter) through the test client.
Each import and match command prints how many texts each encoder encoded
(``matchmaker.encoders.counting``); the table puts them beside the documents. Replaces the
bench_ingest section of bench/RESULTS.md unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server import BIN, bench_env  # noqa: E402

START, END = "<!-- bench_ingest:start -->", "<!-- bench_ingest:end -->"
LEAGUES = ["呼和浩特市", "包头市", "呼伦贝尔市", "兴安盟", "通辽市", "赤峰市", "锡林郭勒盟",
           "乌兰察布市", "鄂尔多斯市", "巴彦淖尔市", "乌海市", "阿拉善盟"]
UNIVERSITY, ENTERPRISES, BROKER = "基准测试大学", [f"基准测试企业{i}" for i in range(1, 6)], "bench-broker"
TARGET_S = 20 * 60
QUEUE_TARGET_MS = 200
_SENTENCE = re.compile(r"(?<=[。！？；!?;])|(?<=\.)(?=\s|[\u4e00-\u9fff])")
_ENCODED = re.compile(r"(\S+) (documents|queries|sentences) (?:(\d+) docs / )?(\d+) texts")


# -- the import files --------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if len(s.strip()) > 8]


def load_csl(data: Path) -> tuple[dict, dict, dict]:
    """(discipline -> titles, discipline -> abstract sentences, discipline -> keyword lists)."""
    titles, pool, keywords = defaultdict(list), defaultdict(list), defaultdict(list)
    seen = set()
    for line in (data / "csl" / "csl_2k_merged.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        titles[r["discipline"]].append(r["title"])
        keywords[r["discipline"]].append(r["keywords"])
        if r["abstract"] not in seen:
            seen.add(r["abstract"])
            pool[r["discipline"]].extend(sentences(r["abstract"]))
    for path in sorted(glob.glob(str(data / "csl" / "fewclue_csldcp_*.json"))):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["content"] not in seen:
                seen.add(r["content"])
                pool[r["label"]].extend(sentences(r["content"]))
    disciplines = sorted(d for d in titles if pool[d])
    return ({d: titles[d] for d in disciplines}, {d: pool[d] for d in disciplines},
            {d: keywords[d] for d in disciplines})


def load_uspto(data: Path) -> dict[str, list[dict]]:
    """IPC main group (or subclass for small groups) -> patents {title, abstract, ipc}."""
    by_group = defaultdict(list)
    for path in sorted(glob.glob(str(data / "uspto" / "USPTO_*_inventors_data*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as fh:
            for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) < 6 or not row[1].strip() or not row[2].strip():
                    continue
                codes = [c.split("(")[0].strip() for c in row[5].split(";")]
                codes = [c for c in codes if re.fullmatch(r"[A-H]\d\d[A-Z] ?\d+/\d+", c)]
                if codes:
                    by_group[codes[0].split("/")[0]].append(
                        {"title": row[1].strip(), "abstract": row[2].strip(), "ipc": codes[:5]})
    merged = defaultdict(list)
    for group, rows in by_group.items():
        merged[group if len(rows) >= 5 else group[:4]].extend(rows)
    return {g: rows for g, rows in sorted(merged.items()) if rows}


def recombine(rng: random.Random, pool: list[str], limit: int, joiner: str) -> str:
    picked = rng.sample(pool, min(len(pool), rng.randint(3, 6)))
    text = joiner.join(picked)
    return text[:limit]


def write_patents(path: Path, n: int, csl, uspto, rng: random.Random) -> dict:
    titles, pool, _ = csl
    disciplines, groups = list(titles), list(uspto)
    seen, english = set(), 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["公开号", "专利名称", "摘要", "IPC分类号", "技术领域", "法律状态"])
        for i in range(n):
            for _attempt in range(20):
                if i % 10 == 9:  # 10 % English
                    group = groups[rng.randrange(len(groups))]
                    base = rng.choice(uspto[group])
                    abstract = recombine(rng, [s for r in rng.sample(
                        uspto[group], min(8, len(uspto[group]))) for s in sentences(r["abstract"])]
                        or [base["abstract"]], 3000, " ")
                    row = [f"US{9_000_000 + i}B2", base["title"][:200], abstract,
                           "; ".join(base["ipc"]), f"IPC {group[:4]}", "有效"]
                else:
                    d = disciplines[rng.randrange(len(disciplines))]
                    row = [f"CN1{i:08d}A", rng.choice(titles[d])[:200],
                           recombine(rng, pool[d], 3000, ""), "", d, "有效"]
                if (row[1], row[2]) not in seen:
                    break
            seen.add((row[1], row[2]))
            english += row[0].startswith("US")
            out.writerow(row)
    return {"patents": n, "english_patents": english, "distinct": len(seen)}


def write_needs(path: Path, m: int, csl, uspto, rng: random.Random) -> dict:
    titles, _, keywords = csl
    disciplines, groups = list(titles), list(uspto)
    english = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["需求编号", "企业名称", "需求名称", "需求描述", "技术领域", "关键词", "盟市"])
        for i in range(m):
            enterprise, league = ENTERPRISES[i % len(ENTERPRISES)], LEAGUES[i % len(LEAGUES)]
            if i % 10 == 9:
                group = groups[rng.randrange(len(groups))]
                base, other = rng.choice(uspto[group]), rng.choice(uspto[group])
                first = (sentences(other["abstract"]) or [other["abstract"]])[0]
                row = [f"B{i:06d}", enterprise, f"Seeking: {base['title']}"[:200],
                       f"We look for technology on {base['title'].lower()}. {first}"[:2000],
                       f"IPC {group[:4]}", "", league]
                english += 1
            else:
                d = disciplines[rng.randrange(len(disciplines))]
                j = rng.randrange(len(titles[d]))
                words = [w for w in keywords[d][j] if len(w) <= 20][:8]
                row = [f"B{i:06d}", enterprise, f"寻求{titles[d][j]}"[:200],
                       f"我公司需要{titles[d][j]}方面的技术，重点：{'、'.join(words)}。"[:2000],
                       d, "；".join(words), league]
            out.writerow(row)
    return {"needs": m, "english_needs": english}


# -- the stages --------------------------------------------------------------------------------


SETUP = f"""
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.records import Organization, OrgKind, Role, User
app = create_app()
with app.app_context():
    db.session.add(Organization(kind=OrgKind.UNIVERSITY, name={UNIVERSITY!r}))
    for name in {ENTERPRISES!r}:
        db.session.add(Organization(kind=OrgKind.ENTERPRISE, name=name, region_league="包头市"))
    user = User(username={BROKER!r}, display_name={BROKER!r}, role=Role.BROKER, active=True)
    user.set_password("bench-broker-pw-1")
    db.session.add(user)
    db.session.commit()
"""

QUEUE = f"""
import json, sys, time
from sqlalchemy import select
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.records import Match, User
app = create_app()
with app.app_context():
    user = db.session.scalar(select(User).where(User.username == {BROKER!r}))
    uid = f"{{user.id}}:{{user.session_version or 0}}"
    pairs = db.session.query(Match).count()
client = app.test_client()
with client.session_transaction() as s:
    s["_user_id"], s["_fresh"], s["_auth_at"], s["_seen_at"] = uid, True, time.time(), time.time()
out = {{"pairs": pairs}}
for name, query in json.loads(sys.argv[1]).items():
    times = []
    for _ in range(2):  # the first view right after the load, then a second one
        started = time.perf_counter()
        response = client.get("/queue/" + query)
        times.append(round(1000 * (time.perf_counter() - started), 1))
        assert response.status_code == 200, (name, response.status_code)
    out[name] = times
print(json.dumps(out))
"""


def run(env: dict, stage: str, args: list[str], log: list) -> tuple[float, str]:
    """Run one stage as a subprocess; (seconds, stderr). Raises with its output on failure."""
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    log.append(f"$ {' '.join(args[:4])} ... -> {done.returncode} in {seconds:.1f} s")
    if done.returncode != 0:
        raise RuntimeError(f"{stage} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-3000:]}")
    return seconds, done.stdout + done.stderr


def encoded(output: str) -> dict[str, dict[str, tuple[int, int]]]:
    """The ``encoded:`` line of a command: {encoder: {purpose: (documents, texts)}}."""
    line = next((ln for ln in output.splitlines() if ln.startswith("encoded:")), "")
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for name, why, docs, texts in _ENCODED.findall(line):
        found.setdefault(name, {})[why] = (int(docs or 0), int(texts))
    return found


def flask_cmd(*args: str) -> list[str]:
    return [str(BIN / "flask"), *args]


def stages(env: dict, files: dict, top_k: int | None, workers: int | None = None) -> dict:
    log: list[str] = []
    result: dict = {"stages": [], "log": log}

    def stage(name, args, docs=None):
        seconds, output = run(env, name, args, log)
        result["stages"].append({"stage": name, "seconds": round(seconds, 1), "docs": docs,
                                 "encoded": encoded(output)})
        print(json.dumps(result["stages"][-1], ensure_ascii=False), flush=True)
        return output

    stage("flask db upgrade", flask_cmd("db", "upgrade"))
    stage("organisations + broker", [sys.executable, "-c", SETUP])
    out = stage("flask import-patents", flask_cmd(
        "import-patents", str(files["patents"]), "--owner", UNIVERSITY, "--no-notify"),
        files["patents_n"])
    result["import_patents_report"] = out.strip().splitlines()[:6]
    out = stage("flask import-needs", flask_cmd("import-needs", str(files["needs"]),
                                                "--no-notify"), files["needs_n"])
    result["import_needs_report"] = out.strip().splitlines()[:6]
    # A fresh install has no index: the imports queue a build job (a worker's work, done here
    # by the command), and the build encodes every document.
    workers_args = ["--workers", str(workers)] if workers is not None else []
    stage("flask build-index", flask_cmd("build-index", *workers_args),
          files["patents_n"] + files["needs_n"])
    match_args = ["match"] + (["--top-k", str(top_k)] if top_k else []) + workers_args
    out = stage("flask match", flask_cmd(*match_args), files["needs_n"])
    result["match_report"] = [ln for ln in out.splitlines() if ln.startswith("needs ")]
    scopes = {"all": "", "field": "?field=" + "计算机", "region": "?region=" + "包头市"}
    _, out = run(env, "queue", [sys.executable, "-c", QUEUE, json.dumps(scopes)], log)
    result["queue"] = json.loads(out.strip().splitlines()[-1])
    return result


# -- databases ---------------------------------------------------------------------------------


def postgres(url: str):
    """(create, drop) for the database named in ``url`` (via the server's ``postgres`` db)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)

    def execute(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    return (lambda: execute(f'DROP DATABASE IF EXISTS "{name}"') or execute(
        f'CREATE DATABASE "{name}"'), lambda: execute(f'DROP DATABASE IF EXISTS "{name}"'))


# -- report ------------------------------------------------------------------------------------


def texts_cell(enc: dict) -> str:
    parts = []
    for name, purposes in enc.items():
        short = name.split(":")[-1]
        for why, (docs, texts) in purposes.items():
            parts.append(f"{short} {why} {docs:,} docs / {texts:,} texts" if docs
                         else f"{short} {why} {texts:,} texts")
    return "; ".join(parts) or "none"


def report(r: dict, args, command: str) -> str:
    total = sum(s["seconds"] for s in r["stages"])
    lines = [
        START, "## Ingest end to end (`bench/bench_ingest.py`)", "",
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {r['database']}; load average "
        f"{' '.join(f'{x:.1f}' for x in r['load_start'])} at start, "
        f"{' '.join(f'{x:.1f}' for x in r['load_end'])} at the end (shared machine). "
        f"{r['data']['patents']:,} patents ({r['data']['english_patents']:,} English, "
        f"{r['data']['distinct']:,} distinct) and {r['data']['needs']:,} needs "
        f"({r['data']['english_needs']:,} English) recombined from ../shared/data "
        f"(seed {args.seed}; Chinese patents carry no IPC codes). Encoders: "
        f"{r['encoders']}.", "",
        "| stage | seconds | docs/s | texts encoded (per encoder: purpose, documents / windows) |",
        "|---|---|---|---|",
    ]  # docs/s: rows for the imports, patents + needs for build-index, open needs for match
    for s in r["stages"]:
        rate = f"{s['docs'] / s['seconds']:,.0f}" if s["docs"] and s["seconds"] else ""
        lines.append(f"| {s['stage']} | {s['seconds']:,.1f} | {rate} | {texts_cell(s['encoded'])} |")
    verdict = "under" if total < TARGET_S else "over"
    lines += [f"| **total** | **{total:,.1f}** | | {verdict} the 20-minute target "
              f"({TARGET_S} s) |", "",
              "docs/s: rows for the imports, patents + needs for build-index, open needs for "
              "match. \"documents\" counts whole documents encoded for the indexes, "
              "\"queries\" records encoded to query the other side, \"sentences\" the "
              "explanation windows; every document encoded once means one indexing pass per "
              "encoder that accepts its language and no queries.", ""]
    q = r["queue"]
    lines += [
        f"First queue page of a broker right after the load ({q['pairs']:,} stored pairs; "
        f"test client, ms: first view / second view; target < {QUEUE_TARGET_MS} ms): " + ", ".join(
            f"{name} {q[name][0]} / {q[name][1]}" for name in ("all", "field", "region")) + ".",
        "", "Reports: " + " · ".join(r["import_patents_report"][:1] + r["import_needs_report"][:1]
                                     + r["match_report"]), "",
        f"Command: `{command}`", END,
    ]
    return "\n".join(lines)


def write(text: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text(encoding="utf-8")
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL of a database the bench creates and drops "
                             "(default: SQLite in a temp folder)")
    parser.add_argument("--top-k", type=int, default=None, help="flask match --top-k")
    parser.add_argument("--workers", type=int, default=None,
                        help="--workers of build-index and match (default: BATCH_WORKERS, 1)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (printed)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not (args.data / "csl").is_dir():
        parser.error(f"no shared data at {args.data} (pass --data)")
    command = "nice -n 19 .venv/bin/python bench/bench_ingest.py " + " ".join(sys.argv[1:])
    load_start = os.getloadavg()
    rng = random.Random(args.seed)
    csl, uspto = load_csl(args.data), load_uspto(args.data)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    files = {"patents": tmp / "patents.csv", "needs": tmp / "needs.csv"}
    data = write_patents(files["patents"], args.patents, csl, uspto, rng)
    data.update(write_needs(files["needs"], args.needs, csl, uspto, rng))
    files.update(patents_n=args.patents, needs_n=args.needs)
    print(json.dumps(data), flush=True)
    instance = tmp / "instance"
    instance.mkdir()
    url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    create = drop = None
    if args.database_url:
        create, drop = postgres(args.database_url)
        create()
    env = bench_env(url, instance, MATCHMAKER_REPORT_ENCODING="1")
    try:
        result = stages(env, files, args.top_k, args.workers)
    finally:
        if drop is not None:
            drop()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
        else:
            print(f"kept {tmp}")
    encoders = sorted({e for s in result["stages"] for e in s["encoded"]})
    result.update(data=data, load_start=load_start, load_end=os.getloadavg(),
                  encoders=", ".join(encoders) or "none",
                  database="PostgreSQL" if args.database_url else "SQLite")
    print(json.dumps({k: v for k, v in result.items() if k != "log"}, ensure_ascii=False))
    text = report(result, args, command)
    print(text)
    if not args.no_write:
        write(text)


if __name__ == "__main__":
    main()
