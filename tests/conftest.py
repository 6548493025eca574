"""Fixtures: an app with a fresh database per test, its client and CLI runner.

``MATCHMAKER_TEST_DATABASE_URL`` (a PostgreSQL URL) adds a second backend to every test that
asks for ``db_app``: each such test then runs on SQLite and on PostgreSQL, in a schema of its
own that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, text

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.i18n import compile_catalogs

PG_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogs once, so a bare ``pytest`` run sees the Chinese interface."""
    compile_catalogs(Path(__file__).resolve().parent.parent / "matchmaker")


@pytest.fixture(autouse=True)
def command_language():
    """A ``flask`` command names its language in LANGUAGE for click (``matchmaker.cli.language``):
    keep one test's run from choosing click's language for the next test."""
    before = os.environ.get("LANGUAGE")
    yield
    if before is None:
        os.environ.pop("LANGUAGE", None)
    else:
        os.environ["LANGUAGE"] = before


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if PG_URL else ["sqlite"])


def _test_config(tmp_path, database_url: str, engine_options: dict | None = None) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options or {},
        "INDEX_DIR": str(tmp_path / "indexes"),
        "MODELS_DIR": str(tmp_path / "models"),
        "ENCODER": "fake",
        "EXTRA_ENCODERS": "",
        "WTF_CSRF_ENABLED": False,
        "MAIL_ENABLED": False,
        "DEMO_PASSWORD": "demo-password-123",
        # Queued jobs run at once, in the request (tests/test_jobs.py covers real workers).
        "JOBS_EAGER": True,
    }


def _make_app(tmp_path, backend: str, overrides: dict | None = None):
    schema = None
    if backend == "postgresql":
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        config = _test_config(
            tmp_path, PG_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
        )
    else:
        config = _test_config(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}")
    config.update(overrides or {})
    app = create_app(config)

    # The fixtures keep one app context pushed for the whole test, so every request of every
    # client shares ``g``: empty it (Flask-Login's cached user, per-request caches), as a fresh
    # production request would start. First of all hooks, so none of them sees a stale user.
    def _fresh_g():
        for key in list(vars(g)):
            delattr(g, key)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        db.create_all()
    return app, schema


def _teardown(app, schema):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if schema:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_factory(tmp_path):
    """Build extra apps with config overrides; each gets its own fresh SQLite database."""
    made = []

    def build(overrides: dict | None = None, backend: str = "sqlite"):
        sub = tmp_path / f"app{len(made)}"
        sub.mkdir()
        app, schema = _make_app(sub, backend, overrides)
        made.append((app, schema))
        return app

    yield build
    for app, schema in made:
        _teardown(app, schema)


@pytest.fixture
def app(tmp_path):
    """An app on a fresh SQLite database with the fake encoder and CSRF off."""
    app, schema = _make_app(tmp_path, "sqlite")
    with app.app_context():
        yield app
    _teardown(app, schema)


@pytest.fixture
def db_app(tmp_path, backend):
    """Like ``app``, once per database backend (SQLite, and PostgreSQL when configured)."""
    app, schema = _make_app(tmp_path, backend)
    with app.app_context():
        yield app
    _teardown(app, schema)


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production."""
    app, schema = _make_app(tmp_path, "sqlite", {"WTF_CSRF_ENABLED": True})
    with app.app_context():
        yield app
    _teardown(app, schema)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
