"""Sixty brokers log in at once against the real server on the embedded default (SQLite).

Starts gunicorn as ``script/server`` does (2 workers, gunicorn.conf.py, one job worker) on a
fresh SQLite database in a temp folder, creates the brokers, then 60 threads each fetch the
login form (its CSRF token and cookie) and, released together, post it. Prints the status
counts and the latency spread; the goal is 0 errors (issue 13: about half got HTTP 500).

    .venv/bin/python bench/bench_logins.py [--users 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import add_users, bench_env, flask, serving  # noqa: E402

PASSWORD = "bench-password-1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def login(url: str, username: str, barrier: threading.Barrier, out: dict) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                         _NoRedirect())
    page = opener.open(f"{url}/auth/login", timeout=120).read().decode()
    body = urllib.parse.urlencode({"csrf_token": TOKEN.search(page).group(1),
                                   "username": username, "password": PASSWORD}).encode()
    barrier.wait()
    started = time.perf_counter()
    try:
        status = opener.open(f"{url}/auth/login", data=body, timeout=120).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        status = f"{type(exc).__name__}"
    out[username] = (status, time.perf_counter() - started)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8078)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-logins-") as tmp:
        instance = Path(tmp)
        env = bench_env(f"sqlite:///{instance / 'matchmaker.sqlite3'}", instance)
        flask(env, "init-db")
        names = add_users(env, "crowd", "broker", args.users, PASSWORD)
        with serving(env, port=args.port, workers=args.workers) as server:
            results: dict = {}
            barrier = threading.Barrier(len(names), timeout=300)
            threads = [threading.Thread(target=login, args=(server.url, n, barrier, results))
                       for n in names]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
        statuses = Counter(str(s) for s, _ in results.values())
        seconds = sorted(d for _, d in results.values())
        report = {
            "users": len(names), "workers": args.workers, "statuses": dict(statuses),
            "errors": sum(n for s, n in statuses.items() if s != "302"),
            "p50_s": round(statistics.median(seconds), 2),
            "max_s": round(seconds[-1], 2), "load_average": os.getloadavg(),
        }
        print(json.dumps(report))


if __name__ == "__main__":
    main()
