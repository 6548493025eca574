"""How long a broker's click that writes waits while a large file is imported (not a test).

    .venv/bin/python bench/bench_write_during_import.py                  # 4,000 patents
    .venv/bin/python bench/bench_write_during_import.py --patents 2000 --batch-seconds 0

On the embedded default (SQLite) one process writes at a time: an import's batch of rows is
a writer's transaction from its first row to its commit (``ingest/service.py``), and a web
request that writes (a move, a note, a posted need) waits for the write lock meanwhile, up to
the busy timeout. This bench imports ``--patents`` rows (recombined from ../shared/data as
``bench_ingest.py`` does) with ``flask import-patents`` in its own process, as a worker would,
while a second process adds a broker's note to a pair every ``--every`` seconds, as the
portal's note form does (``services.pipeline.add_note`` in a request context), and times each.

Printed (one JSON line): the import's seconds, the notes written during it, and their wait:
p50, p95 and max milliseconds, how many took longer than one second, when each note refused
with "database is locked" (after the busy timeout) was tried, and the waits over 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import SETUP, UNIVERSITY, flask_cmd, load_csl, load_uspto, write_patents  # noqa: E402
from server import bench_env  # noqa: E402

DRIVER = """
import json, subprocess, sys, time
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.records import Match, Need, Organization, OrgKind, Patent, User
from matchmaker.services import pipeline

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    enterprise = db.session.scalar(select(Organization).where(
        Organization.kind == OrgKind.ENTERPRISE).order_by(Organization.id))
    broker = db.session.scalar(select(User).where(User.username == "bench-broker"))
    need = Need(title="稀土永磁电机需求", description="需要高矫顽力磁体。", enterprise=enterprise)
    patent = Patent(publication_number="CN100000000A", title="一种高矫顽力磁体",
                    abstract="一种磁体。", dormant=True)
    match = Match(need=need, patent=patent, score=0.5, rank=1, channel_scores={},
                  explanation={}, broker=broker)
    db.session.add(match)
    db.session.commit()
    match_id, broker_id = match.id, broker.id
    importer = subprocess.Popen(args["import"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    waits, offsets, failed = [], [], []
    while importer.poll() is None:
        time.sleep(args["every"])
        with app.test_request_context():  # a request's session, as the note form's
            # timed from the request's first statement: in a request on SQLite that is a
            # writer's BEGIN (extensions.py), which waits for the write lock
            t0 = time.monotonic()
            try:
                pair = db.session.get(Match, match_id)
                author = db.session.get(User, broker_id)
                pipeline.add_note(pair, author, f"第{len(waits) + 1}条备注")
            except OperationalError:  # "database is locked": the page would show an error
                db.session.rollback()
                failed.append(round(t0 - started, 1))
            waits.append(time.monotonic() - t0)
            offsets.append(round(t0 - started, 1))
            db.session.remove()
    seconds = time.monotonic() - started
    err = importer.stderr.read()
    if importer.returncode:
        raise SystemExit("import failed: " + err[-2000:])
    waits_ms = sorted(w * 1000 for w in waits)
    def pct(p):
        return round(waits_ms[min(len(waits_ms) - 1, int(p * len(waits_ms)))], 1) if waits_ms else None
    print(json.dumps({"import_s": round(seconds, 1), "notes": len(waits_ms),
                      "p50_ms": pct(0.5), "p95_ms": pct(0.95),
                      "max_ms": round(waits_ms[-1], 1) if waits_ms else None,
                      "over_1s": sum(w > 1000 for w in waits_ms),
                      "failed_at": failed,
                      "long_waits": [(at, round(w, 1)) for at, w in zip(offsets, waits)
                                     if w > 0.3]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=4000)
    parser.add_argument("--every", type=float, default=0.25, help="seconds between notes")
    parser.add_argument("--batch-rows", type=int, default=None, help="IMPORT_BATCH_ROWS")
    parser.add_argument("--batch-seconds", type=float, default=None,
                        help="IMPORT_BATCH_SECONDS (where the code has it)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not (args.data / "csl").is_dir():
        parser.error(f"no shared data at {args.data} (pass --data)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-write-import-"))
    rng = random.Random(args.seed)
    patents = tmp / "patents.csv"
    write_patents(patents, args.patents, load_csl(args.data), load_uspto(args.data), rng)
    instance = tmp / "instance"
    instance.mkdir()
    extra = {"MATCHMAKER_ENCODER": "fake", "MATCHMAKER_EXTRA_ENCODERS": ""}
    if args.batch_rows is not None:
        extra["MATCHMAKER_IMPORT_BATCH_ROWS"] = str(args.batch_rows)
    if args.batch_seconds is not None:
        extra["MATCHMAKER_IMPORT_BATCH_SECONDS"] = str(args.batch_seconds)
    env = bench_env(f"sqlite:///{instance / 'bench.db'}", instance, **extra)
    for command in (flask_cmd("db", "upgrade"), [sys.executable, "-c", SETUP]):
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    command = flask_cmd("import-patents", str(patents), "--owner", UNIVERSITY, "--no-notify")
    done = subprocess.run([sys.executable, "-c", DRIVER,
                           json.dumps({"import": command, "every": args.every})],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(patents=args.patents, batch_rows=args.batch_rows,
                  batch_seconds=args.batch_seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
