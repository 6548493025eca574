"""End-to-end fixtures: the app served from a thread, and Debian's Chromium driven by Playwright.

The server runs on a temporary SQLite database with the fake encoder and CSRF on, as in
production. No browser is ever downloaded: ``/usr/bin/chromium`` or the tests are skipped.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app on a fresh database, with demo-like records seeded by ``seed`` below."""
    from tests.browser.seed import seed

    tmp = tmp_path_factory.mktemp("e2e")
    app = create_app({
        "TESTING": False,
        "SECRET_KEY": "e2e-secret",
        "SESSION_COOKIE_SECURE": False,  # served over http://127.0.0.1
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'e2e.sqlite3'}",
        "INDEX_DIR": str(tmp / "indexes"),
        "MODELS_DIR": str(tmp / "models"),
        "ENCODER": "fake",
        "EXTRA_ENCODERS": "",
        "WTF_CSRF_ENABLED": True,
        "MAIL_ENABLED": False,
        # Jobs (matching after a save, alerts) run as they are queued: no worker in this test.
        "JOBS_EAGER": True,
    })
    with app.app_context():
        db.create_all()
        app.extensions["e2e_seed"] = seed()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class ClosedOnceSent:
    """WSGI middleware: the response is closed once its body is sent, whatever the client does.

    The work a request holds for after its response (``jobs.deferred``: queueing a booklet's
    job, a saved need's matching) runs in the response's ``close()``. werkzeug's development
    server skips that call when the client resets the connection after reading the response:
    its ``finally`` reads what the client may still send, the read raises ConnectionResetError,
    and ``close()`` is never reached. A browser resets a connection whose answer it did not
    read to the end; in stop 35's CI run and in two clean-clone runs since, the booklet's job
    queued behind a redirect was never sent (its after-response step never ran) and the test
    waited in vain. gunicorn's workers always close. test_live_server.py resets on purpose.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        body = self.app(environ, start_response)

        def sent():
            try:
                # not ``yield from``: a generator closed inside it closes ``body`` too (twice)
                for piece in body:  # noqa: UP028
                    yield piece  # the server writes each piece before it asks for the next
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return sent()


@contextmanager
def serve(app):
    """Serve ``app`` on 127.0.0.1 (a free port) from a background thread; yields its URL."""
    server = make_server("127.0.0.1", 0, ClosedOnceSent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def base_url(live_app):
    """Serve ``live_app`` on 127.0.0.1 (a free port) from a background thread."""
    with serve(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (one per user), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
