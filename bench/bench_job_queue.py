"""How fast a worker drains queued jobs on the embedded queue (kombu's SQLAlchemy transport).

Starts one `flask worker` on a fresh instance (demo data, fake encoder), queues N cheap
`match_need` jobs and times until none is queued or running; prints the wall time and the time
spent inside the jobs. Compare `MATCHMAKER_JOB_POLL_SECONDS=1.0` (kombu's own interval) with
the default:

    .venv/bin/python bench/bench_job_queue.py --jobs 30 [--poll 1.0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--poll", type=float, default=None, help="JOB_POLL_SECONDS")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="mm-queue-"))
    env = {**os.environ, "FLASK_APP": "wsgi", "MATCHMAKER_INSTANCE_PATH": str(instance),
           "MATCHMAKER_ENCODER": "fake", "MATCHMAKER_EXTRA_ENCODERS": "",
           "MATCHMAKER_ALLOW_GENERATED_SECRET": "1", "MATCHMAKER_DEMO_PASSWORD": "bench-pass-1",
           "MATCHMAKER_JOB_RECOVER_SECONDS": "0"}
    if args.poll is not None:
        env["MATCHMAKER_JOB_POLL_SECONDS"] = str(args.poll)
    flask = str(ROOT / ".venv/bin/flask")
    for command in (["init-db"], ["demo"]):
        subprocess.run([flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    worker = subprocess.Popen([flask, "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        os.environ.update(env)
        from matchmaker import create_app
        from matchmaker.extensions import db
        from matchmaker.records import Job, JobStatus, Need
        from matchmaker.services import jobs

        app = create_app()
        with app.app_context():
            time.sleep(8)  # the worker starts
            need = db.session.scalar(db.select(Need.id).limit(1))
            ids = [jobs.submit("match_need", {"need_id": need}).id for _ in range(args.jobs)]
            started = time.monotonic()
            while True:
                db.session.rollback()
                left = db.session.scalar(db.select(db.func.count(Job.id)).where(
                    Job.id.in_(ids), Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])))
                if not left:
                    break
                time.sleep(0.1)
            wall = time.monotonic() - started
            rows = db.session.scalars(db.select(Job).where(Job.id.in_(ids))).all()
            inside = sum((j.finished_at - j.started_at).total_seconds() for j in rows)
        print(f"poll {args.poll if args.poll is not None else 'default'}: {args.jobs} jobs "
              f"drained in {wall:.1f} s; {inside:.1f} s inside the jobs")
    finally:
        worker.terminate()
        worker.wait(30)


if __name__ == "__main__":
    main()
