"""What a click on "成果汇编（PDF）" costs: laid out on every click (before) against the PDF
kept under its content's key (after).

    .venv/bin/python bench/bench_booklet.py [--runs 5]

The demo data (fake encoder; the booklet does not read the indexes) in a SQLite file; the
demo's release event with the most listed patents; a broker clicking through the portal's test
client (the whole request: login session, permission, content, key, file). Eager jobs, so the
first click's job runs when its answer is closed, as a server does once it is sent.

- ``lay out``: ``booklet_pdf(event)``, what every click did before (rendered in the request);
- ``first click``: the answer of a click whose PDF is not kept (queues the job, redirects);
- ``job``: the job laying the PDF out (after the answer);
- ``kept click``: a click that finds the PDF kept (the content read and keyed, the file sent).

Needs a CJK font (script/setup --dev installs one). Writes nothing outside a temp folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.booklet import booklet_pdf  # noqa: E402
from matchmaker.booklet.cache import booklet_dir  # noqa: E402
from matchmaker.demo.events import seed_demo_events  # noqa: E402
from matchmaker.demo.seed import seed_demo  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.records import EventPatent, ReleaseEvent, Role, User  # noqa: E402

PASSWORD = "bench-password-booklet-9"


def ms(seconds: list[float]) -> str:
    values = sorted(s * 1000 for s in seconds)
    return f"median {statistics.median(values):8.1f} ms, max {values[-1]:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-booklet-"))
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "INSTANCE_PATH": str(work / "i"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'b.sqlite3'}",
                      "ENCODER": "fake", "EXTRA_ENCODERS": "", "INDEX_DIR": str(work / "ix"),
                      "JOBS_EAGER": True, "WTF_CSRF_ENABLED": False, "MAIL_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        seed_demo(PASSWORD)
        seed_demo_events()
        db.session.commit()
        event_id, listed = db.session.execute(
            select(EventPatent.event_id, func.count()).group_by(EventPatent.event_id)
            .order_by(func.count().desc()).limit(1)).one()
        event = db.session.get(ReleaseEvent, event_id)
        broker = db.session.get(User, event.created_by_id) or db.session.scalar(
            select(User).where(User.role == Role.BROKER))
        username = broker.username
        lay_out = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with app.test_request_context():
                booklet_pdf(event, app.config)
            lay_out.append(time.perf_counter() - started)
    client = app.test_client()
    answer = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    url = f"/events/{event_id}/booklet.pdf"
    first, job, kept = [], [], []
    for _ in range(args.runs):
        for old in booklet_dir(app.instance_path).glob("*.pdf"):
            old.unlink()
        started = time.perf_counter()
        answer = client.get(url)
        first.append(time.perf_counter() - started)
        assert answer.status_code == 302, answer.status_code
        started = time.perf_counter()
        answer.close()  # the eager job runs now
        job.append(time.perf_counter() - started)
        for _ in range(3):
            started = time.perf_counter()
            answer = client.get(url)
            kept.append(time.perf_counter() - started)
            assert answer.status_code == 200 and answer.data.startswith(b"%PDF"), answer.status
    print(f"event {event_id}: {listed} listed patents; {args.runs} runs; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"lay out (every click before): {ms(lay_out)}")
    print(f"first click (queues the job):  {ms(first)}")
    print(f"job (after the answer):        {ms(job)}")
    print(f"kept click:                    {ms(kept)}")


if __name__ == "__main__":
    main()
