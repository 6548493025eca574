"""Start the portal the way ``script/server`` does, for the benchmarks: gunicorn with the
project's ``gunicorn.conf.py`` (every worker warms the engine before it takes requests) and,
optionally, one job worker beside it. 127.0.0.1 only.

    with serving(env, port=8077, workers=2) as server:
        server.worker_rss_mib()   # resident memory of each gunicorn worker
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def bench_env(database_url: str, instance: Path, **extra: str) -> dict:
    """The environment of a bench server: its own instance and index folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update({
        "FLASK_APP": "wsgi", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "MATCHMAKER_DATABASE_URL": database_url,
        "MATCHMAKER_INSTANCE_PATH": str(instance),
        "MATCHMAKER_INDEX_DIR": str(instance / "indexes"),
        "MATCHMAKER_ALLOW_GENERATED_SECRET": "1",
        "MATCHMAKER_SESSION_COOKIE_SECURE": "0",
        "MATCHMAKER_ENCODER_THREADS": "1",
    })
    env.update(extra)
    return env


def flask(env: dict, *args: str) -> str:
    """Run ``flask <args>`` in the bench environment; returns its output."""
    done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


class Server:
    def __init__(self, gunicorn: subprocess.Popen, worker: subprocess.Popen | None, url: str):
        self.gunicorn, self.worker, self.url = gunicorn, worker, url

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def worker_rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes


@contextmanager
def serving(env: dict, *, port: int = 8077, workers: int = 2, threads: int | None = None,
            job_worker: bool = True,
            log: Path | None = None, warm_timeout: float = 600):
    """Serve on 127.0.0.1:``port``; yields once every worker is warm and /healthz answers."""
    instance = Path(env["MATCHMAKER_INSTANCE_PATH"])
    log = log or instance / "bench-server.log"
    out = log.open("w")
    worker = None
    if job_worker:
        worker = subprocess.Popen([str(BIN / "flask"), "worker", "--concurrency", "1"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         *(["--threads", str(threads)] if threads else []), "--timeout", "120", "wsgi:app"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + warm_timeout
        while True:
            if gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log}")
            warm = log.read_text(errors="replace").count("matching engine ")
            if warm >= workers:
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=10).read()
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"not warm after {warm_timeout} s; see {log}")
            time.sleep(1)
        yield Server(gunicorn, worker, url)
    finally:
        for proc in (gunicorn, worker):
            if proc is not None:
                proc.terminate()
        for proc in (gunicorn, worker):
            if proc is not None:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        out.close()


def add_users(env: dict, prefix: str, role: str, count: int, password: str,
              org_kind: str | None = None) -> list[str]:
    """Create ``count`` active users ``<prefix>NN`` of ``role`` (one password hash for all),
    spread over the existing organizations of ``org_kind``; existing names are kept."""
    code = f"""
from sqlalchemy import select
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.records import Organization, OrgKind, Role, User
app = create_app()
with app.app_context():
    orgs = list(db.session.scalars(select(Organization).where(
        Organization.kind == OrgKind({org_kind!r})))) if {org_kind!r} else [None]
    probe = User(username="x", display_name="x", role=Role({role!r}))
    probe.set_password({password!r})
    for i in range({count}):
        name = f"{prefix}{{i:02d}}"
        if db.session.scalar(select(User.id).where(User.username == name)) is None:
            db.session.add(User(username=name, display_name=name, role=Role({role!r}),
                                organization=orgs[i % len(orgs)], active=True,
                                password_hash=probe.password_hash))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    return [f"{prefix}{i:02d}" for i in range(count)]
