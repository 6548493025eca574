"""Python CPU per request of the load test's pages (issue 13: throughput on 2 cores).

Seeds a fresh database with the demo (``flask init-db`` + ``flask demo``, as script/server and
bench/run_load.py do; SQLite in a temp folder by default, or an empty PostgreSQL database given by
``--database-url``), adds the load test's accounts, then requests every page of
bench/locustfile.py's mix through Flask's test client (CSRF on, as in production) and reports
the process CPU (``time.process_time``) per request, p50 and mean, the SQL statements each
request ran, and the mix weighted by the locustfile's user and task weights. On SQLite the
database's own work is in the process and so in the figures; on PostgreSQL it is not.

    nice -n 19 .venv/bin/python bench/bench_page_cpu.py                    # fake encoder
    nice -n 19 .venv/bin/python bench/bench_page_cpu.py --encoder real     # the production encoders
    nice -n 19 .venv/bin/python bench/bench_page_cpu.py --profile queue    # cProfile top 30
    nice -n 19 .venv/bin/python bench/bench_page_cpu.py --seed-cache /tmp/mm-demo  # seed once, copy after

Like a gunicorn worker (gunicorn.conf.py), the process loads the engine and freezes its heap
(``gc.freeze``) before the first measured request; ``--no-freeze`` measures without.

``--seed-cache`` (SQLite only) keeps a seeded copy of the database and its indexes and copies it
for each later run, which then starts in seconds; delete the folder after a schema change.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.html_forms import form_fields  # noqa: E402
from bench.server import add_users, bench_env, flask  # noqa: E402

PASSWORD = "bench-password-1"
SQL_WIDTH = int(os.environ.get("SQL_WIDTH", "160"))  # --show-sql: characters per statement
QUEUE = "/queue/?strength=weak"  # the locustfile's queue
PAIR = re.compile(r'href="/queue/(\d+)')
WORDS = ["稀土", "永磁", "氢能", "风电", "煤化工", "矿用", "无人机", "铝合金", "储能", "农牧"]
ENCODERS = {"fake": {"MATCHMAKER_ENCODER": "fake", "MATCHMAKER_EXTRA_ENCODERS": ""},
            "real": {}}  # the config's defaults: USE multilingual + MiniLM for English
# Requests of each page per task the locust users pick: user weight (broker 8, enterprise 1,
# university 1) x task weight / the class's task weights, x requests of the page in the task.
BROKER, ENT, UNI = 8 / 10, 1 / 10, 1 / 10
QUEUE_TASK = BROKER * 4 / 7  # queue_and_pair: the queue, a pair, then 30 % recommend,
# 20 % reject, 20 % note
WEIGHTS = {
    "queue": QUEUE_TASK, "pair": QUEUE_TASK, "move recommended": QUEUE_TASK * 0.3,
    "move rejected": QUEUE_TASK * 0.2, "note": QUEUE_TASK * 0.2,
    "search": BROKER * 2 / 7, "needs (broker)": BROKER / 7,
    "needs/new form": ENT / 4, "needs/new post": ENT / 4, "needs (enterprise)": ENT * 3 / 4,
    "patents/new form": UNI / 4, "patents/new post": UNI / 4, "patents (university)": UNI * 3 / 4,
}


@dataclass
class Result:
    page: str
    cpu_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)  # the statements of the last request


def seed(env: dict, instance: Path, cache: Path | None) -> None:
    """Seed the demo into ``env``'s database, or copy it from ``cache`` (seeding that first)."""
    if cache is not None and (cache / "demo.sqlite3").exists():
        shutil.copy(cache / "demo.sqlite3", instance.parent / "bench.sqlite3")
        shutil.copytree(cache / "indexes", instance / "indexes")
        return
    flask(env, "init-db")
    flask(env, "demo")
    # the load test's accounts (bench/run_load.py): 50 brokers fill the broker select boxes
    add_users(env, "load-broker-", "broker", 50, PASSWORD)
    add_users(env, "load-ent-", "enterprise", 10, PASSWORD, "enterprise")
    add_users(env, "load-uni-", "university", 10, PASSWORD, "university")
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy(instance.parent / "bench.sqlite3", cache / "demo.sqlite3")
        shutil.copytree(instance / "indexes", cache / "indexes")


def login(app, username: str):
    client = app.test_client()
    fields = form_fields(client.get("/auth/login").get_data(as_text=True), "/auth/login")
    fields.update(username=username, password=PASSWORD)
    response = client.post("/auth/login", data=fields)
    assert response.status_code == 302, (username, response.status_code)
    return client


def requests_of(page: str, clients: dict, pairs: list[int], rng: random.Random):
    """Yield, forever, ``(client, method, url, data)`` for one request of ``page``; the
    preparation (a POST's form page) runs here, outside the measured call."""
    broker, ent, uni = clients["broker"], clients["ent"], clients["uni"]
    fresh = iter(pairs)  # moved pairs leave the queue: each move takes one never used
    # as the locustfile does, brokers open the pairs listed on the queue's first page
    shown = [int(i) for i in PAIR.findall(broker.get(QUEUE).get_data(as_text=True))]
    while True:
        if page == "queue":
            yield broker, "GET", QUEUE, None
        elif page == "pair":
            yield broker, "GET", f"/queue/{rng.choice(shown)}", None
        elif page in ("move recommended", "move rejected", "note"):
            match_id = next(fresh) if page != "note" else rng.choice(shown)
            html = broker.get(f"/queue/{match_id}").get_data(as_text=True)
            url = (f"/pipeline/{match_id}/note" if page == "note"
                   else f"/pipeline/{match_id}/move/{page.split()[1]}")
            data = form_fields(html, url)
            assert data, (page, match_id)
            if page == "note":
                data["note-body"] = "负载测试备注：已电话联系企业技术负责人。"
            elif page == "move rejected":
                at = html.find('name="rejected-rejection_reason"')
                reasons = re.findall(r'<option value="([a-z_]+)"', html[at:at + 4000])
                data["rejected-rejection_reason"] = reasons[0]
            yield broker, "POST", url, data
        elif page == "search":
            yield broker, "GET", f"/patents/?q={rng.choice(WORDS)}", None
        elif page == "needs (broker)":
            yield broker, "GET", "/needs/", None
        elif page == "needs (enterprise)":
            yield ent, "GET", "/needs/", None
        elif page == "patents (university)":
            yield uni, "GET", "/patents/", None
        elif page in ("needs/new form", "patents/new form"):
            yield (ent if page.startswith("needs") else uni), "GET", f"/{page.split()[0]}", None
        elif page == "needs/new post":
            word = rng.choice(WORDS)
            data = form_fields(ent.get("/needs/new").get_data(as_text=True), "/needs/new")
            data.update(title=f"{word}技术需求 {rng.randrange(10**6)}",
                        description=f"我公司需要{word}相关技术，用于提高产品性能、降低生产成本。",
                        technical_field="新材料", keywords=word)
            yield ent, "POST", "/needs/new", data
        elif page == "patents/new post":
            word = rng.choice(WORDS)
            data = form_fields(uni.get("/patents/new").get_data(as_text=True), "/patents/new")
            data.update(publication_number=f"CN{rng.randrange(500_000_000, 599_999_999)}A",
                        title=f"一种{word}的制备方法",
                        abstract=f"本发明公开了一种{word}的制备方法，工艺简单，成本低，适合工业化生产。",
                        ipc_codes="H01F 1/057")
            yield uni, "POST", "/patents/new", data
        else:
            raise SystemExit(f"unknown page {page!r}; pages: {', '.join(WEIGHTS)}")


def measure(app, page: str, clients: dict, pairs: list[int], runs: int,
            rng: random.Random, profile: cProfile.Profile | None = None) -> Result:
    from sqlalchemy import event

    from matchmaker.extensions import db

    with app.app_context():
        engine = db.engine
    count = [0]
    seen: list[str] = []

    def counted(_conn, _cursor, statement, *_args, **_kw):
        count[0] += 1
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", counted)
    result = Result(page)
    source = requests_of(page, clients, pairs, rng)
    try:
        for i in range(runs + 2):  # two warm-up requests first
            client, method, url, data = next(source)
            count[0] = 0
            seen.clear()
            if profile is not None and i >= 2:
                profile.enable()
            start = time.process_time()
            response = client.open(url, method=method, data=data)
            spent = time.process_time() - start
            if profile is not None:
                profile.disable()
            wanted = (200,) if method == "GET" else (302, 303)
            if response.status_code not in wanted:
                raise SystemExit(f"{page}: {method} {url} answered {response.status_code}")
            if i >= 2:
                result.cpu_ms.append(spent * 1000)
                result.statements.append(count[0])
                result.sql = list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="measured requests per page")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--encoder", choices=ENCODERS, default="fake")
    parser.add_argument("--pages", help="comma-separated pages (default: the whole mix)")
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile top 30 for PAGE")
    parser.add_argument("--sort", default="tottime", help="pstats sort key for --profile")
    parser.add_argument("--seed-cache", type=Path, help="SQLite: keep/copy the seeded demo here")
    parser.add_argument("--show-sql", action="store_true",
                        help="print the statements of each page's last request")
    parser.add_argument("--no-freeze", action="store_true",
                        help="skip the worker's warm-up and gc.freeze (measured before 11-30)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mm-page-cpu-"))
    instance = tmp / "instance"
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    cache = None
    if args.seed_cache and not args.database_url:
        cache = args.seed_cache / args.encoder
    env = bench_env(url, instance, MATCHMAKER_RATELIMIT_EXPENSIVE="100000 per minute",
                    MATCHMAKER_DEMO_PASSWORD=PASSWORD, **ENCODERS[args.encoder])
    try:
        started = time.perf_counter()
        seed(env, instance, cache)
        seeded = time.perf_counter() - started
        os.environ.update({k: v for k, v in env.items() if k.startswith(("MATCHMAKER_", "HF_",
                                                                          "TRANSFORMERS_"))})
        return report(args, seeded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(args, seeded: float) -> int:
    from sqlalchemy import select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.records import Match, MatchStatus, User
    from matchmaker.services import access

    app = create_app()
    rng = random.Random(20261129)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "load-broker-00"))
        pairs = sorted(db.session.scalars(
            access.visible_matches(user).where(Match.status == MatchStatus.CANDIDATE)
            .with_only_columns(Match.id)).all())
        backend = db.engine.dialect.name
        encoders = ", ".join(filter(None, (app.config["ENCODER"], app.config["EXTRA_ENCODERS"])))
        db.session.remove()
    rng.shuffle(pairs)
    clients = {kind: login(app, f"load-{kind}-00") for kind in ("broker", "ent", "uni")}
    if not args.no_freeze:  # as a gunicorn worker starts (gunicorn.conf.py post_worker_init)
        from matchmaker.services.matching import freeze_heap, warm_up

        with app.app_context():
            warm_up()
        freeze_heap()
    print(f"backend={backend} encoders: {encoders} (seeded in {seeded:.0f} s); "
          f"{len(pairs)} candidate pairs; {args.runs} requests per page after 2 warm-ups")
    if args.profile:
        profile = cProfile.Profile()
        result = measure(app, args.profile, clients, pairs, args.runs, rng, profile)
        print(f"{args.profile}: mean {statistics.fmean(result.cpu_ms):.1f} ms CPU (with the "
              "profiler's overhead)")
        pstats.Stats(profile).sort_stats(args.sort).print_stats(30)
        return 0
    pages = args.pages.split(",") if args.pages else list(WEIGHTS)
    results = [measure(app, page, clients, pairs, args.runs, rng) for page in pages]
    if args.show_sql:
        for r in results:
            print(f"-- {r.page}: {len(r.sql)} statements")
            for statement in r.sql:
                print(f"   {statement[:SQL_WIDTH]}")
    print(f"{'page':<22} {'weight':>6} {'p50 ms':>7} {'mean ms':>8} {'SQL':>5}")
    for r in results:
        sql = statistics.median(r.statements)
        print(f"{r.page:<22} {WEIGHTS[r.page]:>6.3f} {statistics.median(r.cpu_ms):>7.1f} "
              f"{statistics.fmean(r.cpu_ms):>8.1f} {sql:>5g}")
    weights = [WEIGHTS[r.page] for r in results]
    mix = sum(w * statistics.fmean(r.cpu_ms) for w, r in zip(weights, results, strict=True))
    print(f"{'weighted mix':<22} {sum(weights):>6.3f} {'':>7} {mix / sum(weights):>8.1f}"
          "   (mean CPU ms per request)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
