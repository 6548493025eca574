"""Run the Locust load test (bench/locustfile.py) against a server started like script/server.

Headless, on 127.0.0.1 only, bounded in users, time and requests. Steps: a saturation step
(no think time) and a fixed-rate step (constant throughput per user, about 25 requests/s
offered). Prints one JSON line per step with requests/s, p50/p95/p99, failures, the RSS of
each gunicorn worker at the end of the step, and the load average.

    .venv/bin/python bench/run_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mm_bench \
        --instance /tmp/mm-bench/pg           # a database seeded with `flask demo`
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import BIN, ROOT, add_users, bench_env, serving  # noqa: E402

PASSWORD = "bench-password-1"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_group(server) -> dict[str, float]:
    """CPU seconds used so far by the portal's workers, the job worker, PostgreSQL (every
    process whose command line names it) and Locust (this process's finished children)."""
    web = set(server.worker_pids())
    job = {server.worker.pid} if server.worker is not None else set()
    out = {"web workers": 0.0, "job worker": 0.0, "postgres": 0.0, "locust": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        pid = int(entry.name)
        group = ("web workers" if pid in web else "job worker" if pid in job
                 else "postgres" if cmd.startswith("postgres") else None)
        if group:
            out[group] += seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["locust"] = children.ru_utime + children.ru_stime
    return out


def step(url: str, out: Path, name: str, users: int, seconds: int, env: dict) -> dict:
    prefix = out / name
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench/locustfile.py"), "--headless",
         "-u", str(users), "-r", str(max(1, users // 5)), "--run-time", f"{seconds}s",
         "--host", url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10"],
        cwd=ROOT, env=env, check=False, capture_output=True)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = {r["Name"]: r for r in csv.DictReader(fh)}
    total = rows["Aggregated"]
    return {
        "step": name, "users": users, "seconds": seconds,
        "requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": int(float(total["50%"])), "p95_ms": int(float(total["95%"])),
        "p99_ms": int(float(total["99%"])),
        "p95_ms_by_page": {n: int(float(r["95%"])) for n, r in rows.items()
                           if n != "Aggregated"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None,
                        help="gunicorn threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--saturation-users", type=int, default=20)
    parser.add_argument("--paced-users", type=int, default=13,
                        help="users at one task per second each (~2 requests per task)")
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/figures/load")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Bench users click far faster than people: the per-user page allowance would answer 429.
    env = bench_env(args.database_url, args.instance,
                    MATCHMAKER_RATELIMIT_EXPENSIVE="100000 per minute")
    counts = {"broker": 50, "ent": 10, "uni": 10}
    add_users(env, "load-broker-", "broker", counts["broker"], PASSWORD)
    add_users(env, "load-ent-", "enterprise", counts["ent"], PASSWORD, "enterprise")
    add_users(env, "load-uni-", "university", counts["uni"], PASSWORD, "university")
    load_env = {**env, "LOAD_PASSWORD": PASSWORD, "LOAD_MAX_REQUESTS": str(args.max_requests),
                "LOAD_BROKERS": "50", "LOAD_ENTERPRISES": "10", "LOAD_UNIVERSITIES": "10"}
    with serving(env, port=args.port, workers=args.workers, threads=args.threads) as server:
        print(json.dumps({"warm_rss_mib": server.worker_rss_mib(),
                          "load_average": os.getloadavg()}), flush=True)
        plan = [("saturation", args.saturation_users, {"LOAD_WAIT": "0"}),
                ("paced", args.paced_users, {"LOAD_PACE": "1"})]
        for name, users, extra in plan:
            before, started = cpu_by_group(server), time.monotonic()
            result = step(server.url, args.out, name, users, args.seconds,
                          {**load_env, **extra})
            after, wall = cpu_by_group(server), time.monotonic() - started
            # share of the machine's cores over the step (Locust's own run and stop included)
            cores = os.cpu_count() or 1
            result["cpu_share"] = {k: round((after[k] - before[k]) / (wall * cores), 3)
                                   for k in after}
            result["rss_mib"] = server.worker_rss_mib()
            result["load_average"] = [round(x, 1) for x in os.getloadavg()]
            print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
