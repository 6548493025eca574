"""API speed: list and read calls over 100k Match rows (target p95 < 100 ms).

Seeds a throw-away database exactly as ``bench_portal.py`` does (SQLite file in a temp folder,
or a schema of its own on PostgreSQL, dropped afterwards), gives the broker, the admin and the
enterprise a token, and times each call with Flask's test client, audit row and rate limit
included (as in production).

    .venv/bin/python bench/bench_api.py
    .venv/bin/python bench/bench_api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_portal import seed  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.scratch_app import scratch_app  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.records import Match, Need, Patent, User  # noqa: E402
from matchmaker.services import access, api_tokens  # noqa: E402

TARGET_MS = 100


def _stats(samples: list[float]) -> dict:
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1)}


def _time(client, headers, urls: list[str]) -> dict:
    client.get(urls[0], headers=headers)  # warm once
    samples = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return _stats(samples)


def measure(app, runs: int, rng: random.Random) -> list[dict]:
    results = []
    for username in ("bench-broker0", "bench-admin", "bench-enterprise"):
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            _token, secret = api_tokens.create_token(user, "bench", ["read"], actor=user)
            ids = {
                "match": db.session.scalars(access.visible_matches(user)
                                            .with_only_columns(Match.id).limit(2000)).all(),
                "need": db.session.scalars(select(Need.id).where(access.need_filter(user))
                                           .limit(2000)).all(),
                "patent": db.session.scalars(select(Patent.id).where(access.patent_filter(user))
                                             .limit(2000)).all(),
            }
            db.session.remove()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        first = client.get("/api/v1/matches?limit=25", headers=headers).get_json()
        cursor = first["next_cursor"]
        lists = {
            "GET /needs": "/api/v1/needs?limit=25",
            "GET /patents": "/api/v1/patents?limit=25",
            "GET /matches (queue default)": "/api/v1/matches?limit=25",
            "GET /matches page 2 (cursor)": f"/api/v1/matches?limit=25&cursor={cursor}"
            if cursor else "/api/v1/matches?limit=25",
            "GET /matches sort=age": "/api/v1/matches?limit=25&sort=age",
            "GET /matches filtered": "/api/v1/matches?limit=25&score_min=0.5&ipc_section=C"
                                     "&broker=unassigned",
            "GET /matches recommended": "/api/v1/matches?limit=25&status=recommended",
        }
        for name, url in lists.items():
            results.append({"user": username, "call": name, **_time(client, headers, [url] * runs)})
        for kind, collection in (("match", "matches"), ("need", "needs"), ("patent", "patents")):
            if not ids[kind]:  # a small seed may give the enterprise no need of its own
                print(f"{username}: no {kind} visible, GET /{collection}/{{id}} not timed")
                continue
            picks = [rng.choice(ids[kind]) for _ in range(runs)]
            urls = [f"/api/v1/{collection}/{i}" for i in picks]
            results.append({"user": username, "call": f"GET /{collection}/{{id}}",
                            **_time(client, headers, urls)})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matches", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="requests per call")
    parser.add_argument("--database-url", help="PostgreSQL URL; a temporary schema is used")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    rng = random.Random(20261129)
    with scratch_app("bench-api-", args.database_url,
                     API_RATE_LIMIT="100000/minute") as app:
        with app.app_context():
            start = time.perf_counter()
            counts = seed(args.matches, rng)
            seeded = time.perf_counter() - start
            backend = db.engine.dialect.name
            db.session.remove()
        print(f"backend={backend} seeded {counts} in {seeded:.1f}s", flush=True)
        results = measure(app, args.runs, rng)
    print(f"{'user':<17} {'call':<32} {'p50 ms':>8} {'p95 ms':>8}")
    for row in results:
        flag = "" if row["p95_ms"] < TARGET_MS else f"  <-- over {TARGET_MS} ms"
        print(f"{row['user']:<17} {row['call']:<32} {row['p50_ms']:>8} {row['p95_ms']:>8}{flag}")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "counts": counts,
                                         "results": results}, indent=2))
    return 0 if all(r["p95_ms"] < TARGET_MS for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
