"""Flask extensions, created unbound here and bound in :func:`matchmaker.create_app`."""

import sqlite3
import time
from functools import cached_property

from flask import g, has_app_context, has_request_context
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose own SQLite engines get the transaction recipe below.

    Only ours: kombu's and Celery's SQLite engines (the embedded job queue) issue their own
    ``BEGIN IMMEDIATE`` and break if every session opens a transaction on its first read.
    """

    def _make_engine(self, bind_key, options, app):
        engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        return engine


class _Domain(Domain):
    """Flask-Babel's message domain, whose catalogue is looked up once per locale and context.

    Flask-Babel finds it again on every ``gettext`` (three reads of ``g`` through its proxy, the
    locale's name, a cache lookup: about 20 us), and a page calls it hundreds of times, form
    choices and per-row labels included (bench/bench_page_cpu.py). The memo sits in
    Flask-Babel's own per-context namespace and is keyed by the locale object Flask-Babel chose,
    so ``force_locale`` (another locale object) and ``refresh`` (which drops the choice) still
    switch the language at once.
    """

    def get_translations(self):
        ctx = vars(g._get_current_object()).get("_flask_babel") if has_app_context() else None
        if ctx is None:
            return super().get_translations()
        memo = vars(ctx).get("matchmaker_translations")
        if memo is not None and memo[0] is self and memo[1] is getattr(ctx, "babel_locale", None):
            return memo[2]
        translations = super().get_translations()
        ctx.matchmaker_translations = (self, get_locale(), translations)
        return translations


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _Domain(domain=self.domain)


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = _Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def _sqlite_connect(dbapi_connection, connection_record):
    """Let SQLAlchemy, not pysqlite, control transactions, and enforce foreign keys.

    pysqlite's own BEGIN handling breaks SAVEPOINT (a released savepoint that opened the
    transaction commits it); this is SQLAlchemy's documented pysqlite recipe.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        # WAL: readers never wait for the writer; the journal mode persists in the file.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


#: Execution option asking :func:`_sqlite_begin` for BEGIN IMMEDIATE outside a request too
#: (set by :func:`begin_write`).
WRITE_LOCK = "matchmaker_write_lock"


def _sqlite_begin(connection):
    """In a web request, take the write lock when the transaction starts, so writers queue up.

    A deferred transaction that read first and writes later may be refused at once (its
    snapshot is stale once another writer committed); an IMMEDIATE one waits up to the busy
    timeout. Requests are short, so holding the lock for one costs little. Jobs and commands run
    for minutes (batch matching, imports) and would stall every writer, so outside a request
    transactions stay deferred: in WAL mode their reads block nobody. Their short write
    transactions (an import's batch of rows, a job's bookkeeping) ask for the lock with
    :func:`begin_write`.
    """
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return  # a plain reader outside any transaction (never blocked by a writer in WAL)
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        # Left open by a COMMIT that failed ("database is locked"): SQLAlchemy counts it as
        # ended, so the pool does not roll it back, and BEGIN would fail on this connection.
        raw.rollback()
    immediate = has_request_context() or options.get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start ``db.session``'s next transaction as a writer's (a transaction it has open is
    committed first).

    On SQLite the transaction takes the write lock at once, waiting up to the busy timeout for
    another writer, so its reads and writes share one snapshot that no other commit can make
    stale; a deferred transaction that read first is refused at once when it comes to write.
    Hold it briefly: every web request waits for it. Elsewhere it is an ordinary transaction.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK: True})


#: How long a long job pauses between two write transactions on SQLite. A writer waiting for
#: the lock (a web request) is let in only by SQLite's busy handler, which sleeps between its
#: tries, at most 100 ms from the 12th try on; a job that commits and begins again at once
#: almost never leaves the lock free at such a try: a broker's note waited 9.5 s, the whole
#: row stage of an 8,000-row import (bench/bench_write_during_import.py).
WRITER_GAP_SECONDS = 0.15


def yield_write_lock() -> None:
    """Between two write transactions of a long job: on SQLite, leave the write lock free for
    longer than the busy handler sleeps, so a waiting request writes before the next batch.
    Elsewhere (row locks, no starvation) nothing."""
    if db.engine.dialect.name == "sqlite":
        time.sleep(WRITER_GAP_SECONDS)


def sqlite_busy_timeout(config) -> None:
    """Give SQLite connections the configured busy timeout (seconds) unless one is set."""
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("timeout", float(config["SQLITE_BUSY_TIMEOUT"]))
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
