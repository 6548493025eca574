"""How long a need posted during a large import waits for its candidates (not a test).

    .venv/bin/python bench/bench_need_during_import.py                 # 1,500 imported patents
    .venv/bin/python bench/bench_need_during_import.py --patents 1000 --posts 2

An enterprise posting a need while a university's file is imported used to wait for the whole
share of the import that was running (``IMPORT_FOLLOW_UP_ROWS`` records: 45 s in QA pass 8).
This bench runs the real path with the real encoders on SQLite and the embedded job queue, with
the workers ``script/server`` starts: ``flask worker --concurrency 1`` and ``flask worker
--interactive`` (``--one-worker``: the first only, as before the interactive queue):

1. a base of ``--base`` patents and ``--needs`` needs (recombined from ../shared/data as
   ``bench_ingest.py`` does), imported and indexed by the command line;
2. the import of ``--patents`` more, submitted as the portal submits an upload;
3. once the import's first share has matched ``--after`` records, and then every
   ``--every`` seconds while shares run, a need posted as the portal posts one
   (``services.records.create_need``), ``--posts`` needs in all; with ``--during rows``, once
   the import job has written ``--after`` rows, and then every ``--every`` seconds while it
   writes rows; with ``--during batch``, once the import is done, while the nightly batch
   (``batch_match``) runs over everything: ``--after`` seconds into it, then every ``--every``.

Printed: per need, the seconds from its save to its matching job's end (the enterprise's wait
for candidates), the import's seconds from upload to its last share's end, and each worker's
memory at the end (PSS of the worker and its pool's processes).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import (  # noqa: E402
    SETUP,
    UNIVERSITY,
    flask_cmd,
    load_csl,
    load_uspto,
    run,
    write_needs,
    write_patents,
)
from bench_memory import memory  # noqa: E402
from server import BIN, bench_env  # noqa: E402

DRIVER = """
import json, shutil, sys, time
from pathlib import Path
from sqlalchemy import select
from matchmaker import create_app
from matchmaker.extensions import begin_write, db
from matchmaker.records import Job, JobStatus, Organization, OrgKind, Role, User
from matchmaker.services import jobs, records

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    begin_write()  # read and write in one writer's transaction: the workers write at start
    owner = db.session.scalar(select(Organization).where(Organization.name == args["university"]))
    enterprise = db.session.scalar(select(Organization).where(
        Organization.kind == OrgKind.ENTERPRISE).order_by(Organization.id))
    uploader = User(username="bench-uni", display_name="bench-uni", role=Role.UNIVERSITY,
                    organization=owner, active=True)
    poster = User(username="bench-ent", display_name="bench-ent", role=Role.ENTERPRISE,
                  organization=enterprise, active=True)
    for user in (uploader, poster):
        user.set_password("bench-password-1")
        db.session.add(user)
    db.session.commit()
    upload = Path(app.instance_path) / "uploads"
    upload.mkdir(exist_ok=True)
    path = upload / "bench-patents.csv"
    shutil.copy(args["file"], path)
    started = time.monotonic()
    importer = jobs.submit("import_patents", {"path": str(path), "filename": "patents.csv",
                                              "actor_id": uploader.id, "owner_id": owner.id})
    importer_id = importer.id
    waits, posted, last_post = [], [], None

    def collect():
        # the waits of the posted needs whose matching job ended since the last call
        seen = {w["job"] for w in waits}
        for job_id, share, share_done in posted:
            job = db.session.get(Job, job_id)
            if job_id not in seen and job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                waits.append({"job": job_id, "status": job.status.value,
                              "wait_s": round((job.finished_at - job.created_at)
                                              .total_seconds(), 1),
                              "share": share, "share_done_at_post": share_done})

    def shares():
        db.session.rollback()
        return list(db.session.scalars(select(Job).where(Job.kind == "index_imported")
                                       .order_by(Job.id)))

    def post(job):
        # a need posted as the portal posts one, while ``job`` runs
        global last_post
        n = len(posted)
        db.session.rollback()
        with app.test_request_context():  # a request's transactions: a writer's at once
            saved = records.create_need({"title": args["needs"][n][0],
                                         "description": args["needs"][n][1],
                                         "cooperation_mode": "licence",
                                         "confidentiality": "public",
                                         "enterprise": enterprise}, actor=poster)
        posted.append((saved.job_id, job.id, job.progress_done))
        last_post = time.monotonic()

    def due(job, reached):
        return len(posted) < args["posts"] and (
            (last_post is None and reached)
            or (last_post is not None and time.monotonic() - last_post >= args["every"]))

    while True:
        db.session.rollback()  # hold no snapshot while waiting: SQLite could never reset its WAL
        time.sleep(0.2)
        found = shares()
        running = [j for j in found if j.status is JobStatus.RUNNING]
        if args["during"] == "rows":  # the import job itself, while it writes the rows
            own = db.session.get(Job, importer_id)
            running = [own] if own.status is JobStatus.RUNNING else []
        elif args["during"] == "batch":  # nothing during the import
            running = []
        done = bool(found) and all(j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
                                   for j in found)
        if done and db.session.get(Job, importer_id).status is JobStatus.SUCCEEDED:
            ids = db.session.get(Job, importer_id).result["follow_up"]
            if set(ids) <= {j.id for j in found}:
                break
        if running and due(running[0], (running[0].progress_done or 0) >= args["after"]):
            post(running[0])
        collect()
    import_s = round(time.monotonic() - started, 1)
    batch_s = None
    if args["during"] == "batch":  # the nightly batch over everything just imported
        batch_id, batch_started = jobs.submit("batch_match").id, None
        while True:
            db.session.rollback()
            time.sleep(0.2)
            batch = db.session.get(Job, batch_id)
            if batch.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                batch_s = round((batch.finished_at - batch.started_at).total_seconds(), 1)
                break
            if batch.status is JobStatus.RUNNING:
                batch_started = batch_started or time.monotonic()
                if due(batch, time.monotonic() - batch_started >= args["after"]):
                    post(batch)
            collect()
    while len(waits) < len(posted):  # needs posted near the end
        db.session.rollback()
        time.sleep(0.2)
        collect()
    found = shares()
    print(json.dumps({"waits": waits, "import_s": import_s, "batch_s": batch_s,
                      "shares": [{"id": j.id, "records": len(j.params["ids"]),
                                  "handed_over": (j.result or {}).get("handed_over")}
                                 for j in found]}))
"""


def tree_pss_mb(pid: int) -> float:
    """PSS of a process and its descendants in MB (a worker and its pool's children)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += memory(current)["pss_mb"]
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except FileNotFoundError:  # it ended meanwhile
            continue
    return round(total, 1)


def split_csv(path: Path, base: int, into: tuple[Path, Path]) -> None:
    """The first ``base`` data rows of ``path`` into ``into[0]``, the rest into ``into[1]``."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    for target, part in zip(into, (body[:base], body[base:]), strict=True):
        with open(target, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(head)
            out.writerows(part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1500, help="patents in the timed import")
    parser.add_argument("--base", type=int, default=200, help="patents indexed beforehand")
    parser.add_argument("--needs", type=int, default=50, help="needs indexed beforehand")
    parser.add_argument("--posts", type=int, default=3, help="needs posted during the import")
    parser.add_argument("--after", type=int, default=100,
                        help="records the first share has done when the first need is posted "
                             "(--during batch: seconds into the batch)")
    parser.add_argument("--every", type=float, default=40.0, help="seconds between posts")
    parser.add_argument("--during", choices=("shares", "rows", "batch"), default="shares",
                        help="post while the follow-up shares run, while the rows are written, "
                             "or while the nightly batch runs after the import")
    parser.add_argument("--one-worker", action="store_true",
                        help="no interactive worker: every job waits its turn in one worker")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    csl, uspto = load_csl(args.data), load_uspto(args.data)
    tmp = Path(tempfile.mkdtemp(prefix="bench-need-import-"))
    every = tmp / "all.csv"
    write_patents(every, args.base + args.patents, csl, uspto, rng)
    base, timed = tmp / "base.csv", tmp / "timed.csv"
    split_csv(every, args.base, (base, timed))
    needs = tmp / "needs.csv"
    write_needs(needs, args.needs + args.posts, csl, uspto, rng)
    with open(needs, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    title, description = head.index("需求名称"), head.index("需求描述")
    posted = [(r[title], r[description]) for r in body[args.needs:]]
    with open(needs, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(head)
        out.writerows(body[:args.needs])
    instance = tmp / "instance"
    instance.mkdir()
    env = bench_env(f"sqlite:///{instance / 'bench.db'}", instance)
    log: list[str] = []
    commands = {"worker": ["--concurrency", "1"], "worker-interactive": ["--interactive"]}
    if args.one_worker:
        del commands["worker-interactive"]
    workers: list[subprocess.Popen] = []
    try:
        run(env, "db upgrade", flask_cmd("db", "upgrade"), log)
        run(env, "setup", [sys.executable, "-c", SETUP], log)
        run(env, "base patents", flask_cmd("import-patents", str(base), "--owner", UNIVERSITY,
                                           "--no-notify"), log)
        run(env, "base needs", flask_cmd("import-needs", str(needs), "--no-notify"), log)
        run(env, "build-index", flask_cmd("build-index"), log)
        for name, options in commands.items():
            workers.append(subprocess.Popen(
                [str(BIN / "flask"), "worker", *options], cwd=ROOT, env=env,
                stdout=(instance / f"{name}.log").open("w"), stderr=subprocess.STDOUT))
        spec = {"university": UNIVERSITY, "file": str(timed), "posts": args.posts,
                "after": args.after, "every": args.every, "needs": posted,
                "during": args.during}
        _, output = run(env, "driver", [sys.executable, "-c", DRIVER, json.dumps(spec)], log)
        result = json.loads(next(ln for ln in output.splitlines() if ln.startswith('{"waits"')))
        result["worker_pss_mb"] = {name: tree_pss_mb(w.pid)
                                   for name, w in zip(commands, workers, strict=True)}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(60)
        if args.keep:
            print(f"kept {tmp}")
        else:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    result.update(patents=args.patents, workers=len(commands), load=os.getloadavg())
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
