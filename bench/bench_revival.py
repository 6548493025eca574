"""The dormant-patent revival list (存量专利盘活) at the size of a regional import.

A patent imported without a ``dormant`` column is dormant (docs/import-formats.md), so after a
100k-row university import every one of them is on a broker's revival list. Seeds a throw-away
database with bulk inserts (SQLite file in a temp folder, or a schema of its own on PostgreSQL
that is dropped afterwards): ``--patents`` dormant patents (a tenth with an open licence, a
spread of filing and fee dates, some lapsed or pending), ``--needs`` open needs and
``--pairs`` candidate pairs, then times

- ``rank_dormant`` itself, stage by stage (``--stages``), and
- the page, ``GET /revival/`` (first page, a deep page, the urgent filter, everything) as a
  broker through Flask's test client, p50 / p95 over ``--runs`` requests.

    .venv/bin/python bench/bench_revival.py                     # 100k dormant patents, SQLite
    .venv/bin/python bench/bench_revival.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench.bench_portal import PASSWORD, _bulk  # noqa: E402
from bench.scratch_app import scratch_app  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.records import (  # noqa: E402
    Match,
    Need,
    Organization,
    OrgKind,
    Patent,
    PatentLicence,
    Role,
    User,
    utcnow,
)
from matchmaker.services import maintenance  # noqa: E402

STATUSES = [("valid", 0.8), ("pending", 0.12), ("lapsed", 0.05), ("expired", 0.03)]
TYPES = [("invention", 0.7), ("utility", 0.25), ("design", 0.05)]


def seed(n_patents: int, n_needs: int, n_pairs: int, rng: random.Random) -> None:
    now = utcnow()
    today = date.today()
    orgs = [Organization(kind=OrgKind.ENTERPRISE, name=f"企业{i}") for i in range(50)] + [
        Organization(kind=OrgKind.UNIVERSITY, name=f"高校{i}") for i in range(20)]
    db.session.add_all(orgs)
    db.session.flush()
    enterprises = [o.id for o in orgs if o.kind is OrgKind.ENTERPRISE]
    universities = [o.id for o in orgs if o.kind is OrgKind.UNIVERSITY]
    broker = User(username="bench-broker", display_name="经纪人", role=Role.BROKER, active=True)
    broker.set_password(PASSWORD)
    db.session.add(broker)
    db.session.flush()
    _bulk(Need, [
        {"id": i + 1, "title": f"需求{i}", "description": "降低成本，提高性能。" * 3,
         "enterprise_id": rng.choice(enterprises), "keywords": ["性能"], "status": "open",
         "confidentiality": "public", "cooperation_mode": "licence",
         "created_at": now, "updated_at": now}
        for i in range(n_needs)])
    statuses, s_weights = zip(*STATUSES, strict=True)
    types, t_weights = zip(*TYPES, strict=True)
    patents = []
    for i in range(n_patents):
        filed = today - timedelta(days=rng.randrange(0, 22 * 365))
        fee = (today + timedelta(days=rng.randrange(-60, 365))) if rng.random() < 0.7 else None
        patents.append({
            "id": i + 1, "publication_number": f"CN{200000000 + i}A", "title": f"一种方法{i}",
            "abstract": "本发明公开了一种方法。", "owner_id": rng.choice(universities),
            "legal_status": rng.choices(statuses, s_weights)[0],
            "patent_type": rng.choices(types, t_weights)[0],
            "filing_date": None if rng.random() < 0.05 else filed, "fee_due_date": fee,
            "dormant": True, "created_at": now, "updated_at": now})
    _bulk(Patent, patents)
    _bulk(PatentLicence, [{"patent_id": i + 1, "mode": "open"}
                          for i in range(n_patents) if rng.random() < 0.1])
    pairs, seen = [], set()
    while len(pairs) < n_pairs:
        key = (rng.randrange(1, n_needs + 1), rng.randrange(1, n_patents + 1))
        if key in seen:
            continue
        seen.add(key)
        score = round(rng.uniform(0.1, 0.9), 4)
        pairs.append({"id": len(pairs) + 1, "need_id": key[0], "patent_id": key[1],
                      "score": score, "calibrated": round(100 * score ** 3), "rank": 1,
                      "status": "candidate", "channel_scores": {}, "explanation": {},
                      "source": "batch", "created_at": now, "updated_at": now,
                      "status_changed_at": now})
    _bulk(Match, pairs)
    db.session.commit()
    maintenance.analyze()


def stages(user) -> dict:
    """Time the parts of ``rank_dormant`` on their own (ms)."""
    from matchmaker.services import revival
    from matchmaker.services.event_suggestions import demand_by_patent

    scope = (Patent.dormant.is_(True), revival.dormant_filter(user))
    out = {}
    start = time.perf_counter()
    demand_by_patent(*scope)
    out["demand_by_patent (SQL)"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    rows = revival.rank_dormant(user)
    out["rank_dormant (all)"] = (time.perf_counter() - start) * 1000
    out["rows"] = len(rows)
    return out


def verify(user) -> str:
    """Every row built the slow way (``assess``): the same order and totals as the ranking?"""
    from matchmaker.services import revival

    ranking = revival.rank_dormant(user, include_unrevivable=True)
    rows = list(ranking)
    keys = [(not r.revivable, -r.total, r.facts.id) for r in rows]
    assert keys == sorted(keys), "the ranking's order differs from the rows' totals"
    assert ranking.urgent == sum(r.urgent for r in rows)
    return f"verified: {len(rows)} rows in the order of their totals, {ranking.urgent} urgent"


def _time(client, url: str, runs: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    first = samples[0]
    samples.sort()
    return (round(first, 1), round(statistics.median(samples), 1),
            round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=10, help="requests per page")
    parser.add_argument("--database-url", help="PostgreSQL URL; a temporary schema is used")
    parser.add_argument("--verify", action="store_true",
                        help="also build every row and check the ranking's order and counts")
    parser.add_argument("--cache-seconds", type=int, default=60,
                        help="REVIVAL_CACHE_SECONDS for the pages (0: score on every view)")
    args = parser.parse_args(argv)
    rng = random.Random(20261201)
    with scratch_app("bench-revival-", args.database_url, WTF_CSRF_ENABLED=False,
                     REVIVAL_CACHE_SECONDS=args.cache_seconds) as app:
        with app.app_context():
            start = time.perf_counter()
            seed(args.patents, args.needs, args.pairs, rng)
            print(f"backend={db.engine.dialect.name} seeded {args.patents} dormant patents, "
                  f"{args.needs} needs, {args.pairs} pairs in {time.perf_counter() - start:.1f}s",
                  flush=True)
            user = db.session.scalar(select(User).where(User.username == "bench-broker"))
            parts = [stages(user) for _ in range(3)]
            for key in parts[0]:
                values = sorted(p[key] for p in parts)
                print(f"  {key:<28} {values[1]:>9.1f}" if key != "rows" else
                      f"  {key:<28} {values[1]:>9}")
            if args.verify:
                print(verify(user), flush=True)
            db.session.remove()
        client = app.test_client()
        response = client.post("/auth/login", data={"username": "bench-broker",
                                                     "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        print(f"{'page':<34} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
        for name, url in {"revival": "/revival/", "revival page 200": "/revival/?page=200",
                          "revival urgent": "/revival/?urgent=y",
                          "revival everything": "/revival/?everything=y"}.items():
            first, p50, p95 = _time(client, url, args.runs)
            print(f"{name:<34} {first:>9} {p50:>8} {p95:>8}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
