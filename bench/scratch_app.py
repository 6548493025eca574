"""A throw-away app for the benchmarks that seed their own data: a SQLite file in a temp
folder, or a schema of its own on PostgreSQL that is dropped afterwards.

    with scratch_app("bench-api-", args.database_url, API_RATE_LIMIT="100000/minute") as app:
        ...
"""

from __future__ import annotations

import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.portal import compile_templates


@contextmanager
def scratch_app(prefix: str, database_url: str | None = None, *, jit: bool = False,
                **config):
    """Yield an app on an empty database (tables created), its templates compiled as
    gunicorn's ``post_worker_init`` does; ``config`` overrides the bench defaults. On
    PostgreSQL the app's own ``jit=off`` is kept unless ``jit``."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    settings = {"TESTING": False, "SECRET_KEY": "bench", "INSTANCE_PATH": str(tmp / "instance"),
                "ENCODER": "fake", "EXTRA_ENCODERS": "", "INDEX_DIR": str(tmp / "indexes"),
                "MAIL_ENABLED": False, **config}
    schema = admin = None
    if database_url:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        settings["SQLALCHEMY_DATABASE_URI"] = database_url
        options = f"-csearch_path={schema}" + ("" if jit else " -cjit=off")
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": options}}
    else:
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(settings)
    compile_templates(app)
    try:
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
