"""Settings read from ``MATCHMAKER_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "MATCHMAKER_"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return default if raw in (None, "") else int(raw)


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    return default if raw in (None, "") else float(raw)


def _env_optional_bool(name: str) -> bool | None:
    raw = _env(name)
    return None if raw in (None, "") else raw.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping from the environment.

    Every key can be overridden with ``MATCHMAKER_<KEY>``; see README.md for the list.
    """
    instance = Path(instance_path)
    default_db = f"sqlite:///{instance / 'matchmaker.sqlite3'}"
    database_url = _env("DATABASE_URL", default_db)
    return {
        # Unset: generated into instance/secret_key only in debug, testing or when allowed
        # (matchmaker.security.files); production refuses to start without it.
        "SECRET_KEY": _env("SECRET_KEY"),
        "ALLOW_GENERATED_SECRET": _env_bool("ALLOW_GENERATED_SECRET", False),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        # Seconds a SQLite writer waits for another one's transaction before giving up.
        "SQLITE_BUSY_TIMEOUT": _env_float("SQLITE_BUSY_TIMEOUT", 15.0),
        "MODELS_DIR": _env("MODELS_DIR", str(ROOT / "models")),
        "INDEX_DIR": _env("INDEX_DIR", str(ROOT / "indexes")),
        # Dense channels, comma separated; the first is the primary (cross-lingual) one.
        "ENCODER": _env("ENCODER", "use-multilingual"),
        # English channel: measured +0.05 nDCG@10 on English patents; weight 0 on Chinese text.
        "EXTRA_ENCODERS": _env("EXTRA_ENCODERS", "sentence-transformers:all-MiniLM-L6-v2"),
        # One thread per encoder: on shared cores 2 threads made a USE call 40-100x slower.
        "ENCODER_THREADS": _env_int("ENCODER_THREADS", 1),
        "EXACT_INDEX_LIMIT": _env_int("EXACT_INDEX_LIMIT", 50_000),
        # A background job folds a collection's change log into a new base once the log holds
        # this share of the collection's documents (at least INDEX_COMPACT_MIN of them): until
        # then BM25 scores the log with the base's statistics, which drift with every change.
        "INDEX_COMPACT_SHARE": _env_float("INDEX_COMPACT_SHARE", 0.02),
        "INDEX_COMPACT_MIN": _env_int("INDEX_COMPACT_MIN", 10),
        # Where dense collections live: "faiss" (files under INDEX_DIR, memory-mapped) or
        # "milvus" (a Milvus server at MILVUS_URI; empty: a Milvus Lite file under INDEX_DIR).
        "VECTOR_BACKEND": _env("VECTOR_BACKEND", "faiss"),
        "MILVUS_URI": _env("MILVUS_URI", ""),
        "MATCH_TOP_K": _env_int("MATCH_TOP_K", 10),
        # Processes for batch work (services/batch_pool.py): ranking the batch and encoding a
        # rebuild; 0 = one per core. Forked with the engine loaded: they share its encoders
        # and the memory-mapped indexes.
        "BATCH_WORKERS": _env_int("BATCH_WORKERS", 1),
        "HOME_REGION": _env("HOME_REGION", "包头市"),
        # Calibrated match score (0-100, docs/matching.md "Calibrated score"): the fitted
        # model (empty: the one shipped in matchmaker/matching/calibration_default.json), the
        # bands 高 >= SCORE_BAND_HIGH, 中 >= SCORE_BAND_MEDIUM, else 低, and the line below
        # which a pair is not a strong candidate (暂无强匹配: no alert, hidden in the queue).
        "CALIBRATION_FILE": _env("CALIBRATION_FILE", ""),
        "SCORE_BAND_HIGH": _env_int("SCORE_BAND_HIGH", 50),
        "SCORE_BAND_MEDIUM": _env_int("SCORE_BAND_MEDIUM", 20),
        "STRONG_MATCH_MIN": _env_int("STRONG_MATCH_MIN", 50),
        # Preferences (region, licence, price, mode) reorder only candidates whose fused
        # relevance differs by less than this; 0 = pure relevance order.
        "PREFERENCE_MARGIN": _env_float("PREFERENCE_MARGIN", 0.02),
        # A same-owner, same-main-IPC patent in the other language whose primary vector has at
        # least this cosine is one family with another (matching/families.py).
        "FAMILY_THRESHOLD": _env_float("FAMILY_THRESHOLD", 0.7),
        "BABEL_DEFAULT_LOCALE": _env("LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": _env("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_CN", "en"],
        "DEMO_PASSWORD": _env("DEMO_PASSWORD"),
        "MAIL_ENABLED": _env_bool("MAIL_ENABLED", False),
        "SMTP_HOST": _env("SMTP_HOST", "localhost"),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        # "ssl" (implicit TLS), "starttls" or "none"; empty: ssl on port 465, else SMTP_STARTTLS.
        "SMTP_TLS": _env("SMTP_TLS", ""),
        "MAIL_FROM": _env("MAIL_FROM", "matchmaker@localhost"),
        # Alerts: a match is "strong" at this fused score or among the top N of its record.
        "ALERT_MIN_SCORE": _env_float("ALERT_MIN_SCORE", 0.9),
        "ALERT_TOP_N": _env_int("ALERT_TOP_N", 3),
        # Booklet: a TrueType font (path, or path#face for a .ttc) and the contact line printed
        # on every patent page; both fall back to sensible defaults (matchmaker.booklet).
        "BOOKLET_FONT": _env("BOOKLET_FONT"),
        "BOOKLET_CONTACT": _env("BOOKLET_CONTACT"),
        # The organiser named on the booklet's cover and footers (default: the platform).
        "BOOKLET_ORGANISER": _env("BOOKLET_ORGANISER"),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        # Import limits: an XLSX is refused before parsing above this inflated size or when a
        # member inflates more than this ratio (zip bombs); JSON Lines lines above these
        # lengths or nesting depths become row errors.
        "MAX_UNCOMPRESSED_BYTES": _env_int("MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        "MAX_COMPRESSION_RATIO": _env_float("MAX_COMPRESSION_RATIO", 100.0),
        # One JSON Lines line, or one CSV/TSV row's cells together, at most (else a row error).
        "JSONL_MAX_LINE_CHARS": _env_int("JSONL_MAX_LINE_CHARS", 1_000_000),
        "JSONL_MAX_DEPTH": _env_int("JSONL_MAX_DEPTH", 32),
        "WTF_CSRF_ENABLED": True,
        # A form's token lives as long as its session (which ends after SESSION_IDLE_MINUTES
        # unused, SESSION_MAX_HOURS at most, and at logout), not Flask-WTF's one hour: an
        # hour spent on a long patent form must not end in a refusal that loses the text.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # None: Secure unless debug or testing (matchmaker.security.sessions); script/server
        # sets it off for http://127.0.0.1.
        "SESSION_COOKIE_SECURE": _env_optional_bool("SESSION_COOKIE_SECURE"),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 120),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (0: ignored).
        "PROXY_FIX_X_FOR": _env_int("PROXY_FIX_X_FOR", 0),
        "PROXY_FIX_X_PROTO": _env_int("PROXY_FIX_X_PROTO", 0),
        "PROXY_FIX_X_HOST": _env_int("PROXY_FIX_X_HOST", 0),
        "PROXY_FIX_X_PREFIX": _env_int("PROXY_FIX_X_PREFIX", 0),
        # Strict-Transport-Security max-age on https responses; 0 (off) until TLS is set up.
        "HSTS_SECONDS": _env_int("HSTS_SECONDS", 0),
        "PAGE_SIZE": _env_int("PAGE_SIZE", 25),
        # The portal's public address (https://matchmaker.example.org): links in e-mails and
        # the booklet's QR codes are built on it; empty: relative links, and the booklet falls
        # back to the requesting host (or http://127.0.0.1:8000 outside a request).
        "BASE_URL": (_env("BASE_URL", "") or "").rstrip("/"),
        # Contact requests (我要对接) one client address may leave on the public showcase.
        "SHOWCASE_CONTACT_LIMIT": _env("SHOWCASE_CONTACT_LIMIT", "5 per hour; 20 per day"),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URL", "memory://"),
        # Failed logins (only failures count) per account and per client address, and the
        # per-user allowance of expensive pages (engine rankings, semantic search, exports).
        "LOGIN_ACCOUNT_LIMIT": _env("LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes; 10 per hour; 20 per day"),
        "LOGIN_ADDRESS_LIMIT": _env("LOGIN_ADDRESS_LIMIT", "50 per 15 minutes"),
        "RATELIMIT_EXPENSIVE": _env("RATELIMIT_EXPENSIVE", "30 per minute"),
        "DASHBOARD_CACHE_SECONDS": _env_int("DASHBOARD_CACHE_SECONDS", 60),
        # The revival list's scores are reused this long per process (0: scored on every view).
        "REVIVAL_CACHE_SECONDS": _env_int("REVIVAL_CACHE_SECONDS", 60),
        # REST API (matchmaker.api): per-token limit, JSON body cap, token life, webhooks.
        "API_RATE_LIMIT": _env("API_RATE_LIMIT", "600/minute"),
        "API_MAX_JSON_BYTES": _env_int("API_MAX_JSON_BYTES", 256 * 1024),
        "API_TOKEN_DAYS": _env_int("API_TOKEN_DAYS", 90),
        "API_PAGE_LIMIT": _env_int("API_PAGE_LIMIT", 100),
        "WEBHOOK_TIMEOUT": _env_float("WEBHOOK_TIMEOUT", 10.0),
        # On-premise receivers on the local network; off: only public addresses (SSRF guard).
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": _env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
        "WEBHOOK_MAX_FAILURES": _env_int("WEBHOOK_MAX_FAILURES", 8),
        "WEBHOOK_MAX_ATTEMPTS": _env_int("WEBHOOK_MAX_ATTEMPTS", 8),
        # Learned reranker (matchmaker.learning): a new model must beat the current ranking by
        # this much nDCG@10 on later decisions and benchmarks; it is trained only from this
        # many labelled decisions on, and reorders the engine's top RERANK_DEPTH candidates.
        "RERANK_MARGIN": _env_float("RERANK_MARGIN", 0.005),
        "RERANK_MIN_DECISIONS": _env_int("RERANK_MIN_DECISIONS", 200),
        "RERANK_DEPTH": _env_int("RERANK_DEPTH", 50),
        # Retrain (job train_reranker) once this many labelled decisions were taken since the
        # last training; 0: only by hand (flask train-reranker, 质量看板).
        "RERANK_RETRAIN_EVERY": _env_int("RERANK_RETRAIN_EVERY", 250),
        # Rejections that teach at once (matchmaker.learning.immediate): a "not relevant"
        # rejection lowers, by TEACH_PENALTY, candidates whose multilingual vector has cosine
        # >= TEACH_SIMILARITY with the rejected patent (same need) or need (same patent).
        "TEACH_AT_ONCE": _env_bool("TEACH_AT_ONCE", True),
        # How long a patent- or need-level rejection (and the pairs it closed) may be undone.
        "UNDO_SECONDS": _env_int("UNDO_SECONDS", 900),
        "TEACH_SIMILARITY": _env_float("TEACH_SIMILARITY", 0.9),
        "TEACH_PENALTY": _env_float("TEACH_PENALTY", 0.2),
        # Stored benchmark candidates (bench/learning_candidates.py), comma separated.
        "RERANK_BENCHMARKS": [p for p in (_env("RERANK_BENCHMARKS", "") or "").split(",") if p],
        # Evaluation runs (python -m matchmaker.evaluation ... > DIR/<task>.json) for 质量看板.
        "EVALUATION_DIR": _env("EVALUATION_DIR", str(ROOT / "indexes" / "evaluations")),
        # /healthz shows counts and index state to admins and to callers sending this token.
        "HEALTH_TOKEN": _env("HEALTH_TOKEN"),
        **_job_settings(instance),
    }


def _job_settings(instance: Path) -> dict:
    """Background jobs (matchmaker.jobs): the embedded default needs no server."""
    return {
        # kombu's SQLAlchemy transport on a SQLite file; redis://... or amqp://... in production.
        "JOB_BROKER_URL": _env("JOB_BROKER_URL", f"sqla+sqlite:///{instance / 'jobs.sqlite3'}"),
        # How often an idle worker asks the embedded queue (kombu's SQLAlchemy transport) for a
        # message; kombu's 1 s made it hand out one job a second whatever the jobs' length.
        "JOB_POLL_SECONDS": _env_float("JOB_POLL_SECONDS", 0.2),
        # Empty: no Celery result backend, the ``jobs`` table holds status and reports.
        "JOB_RESULT_BACKEND": _env("JOB_RESULT_BACKEND", "") or None,
        "JOB_QUEUE": _env("JOB_QUEUE", "matchmaker"),
        # Run jobs inline in the submitting process (tests, one-process installs).
        "JOBS_EAGER": _env_bool("JOBS_EAGER", False),
        "JOB_MAX_RETRIES": _env_int("JOB_MAX_RETRIES", 5),
        # A running job not heard from for this long is presumed dead and sent again.
        "JOB_LEASE_SECONDS": _env_int("JOB_LEASE_SECONDS", 3600),
        # Each worker looks for interrupted or lost jobs this often (0: at start only).
        "JOB_RECOVER_SECONDS": _env_int("JOB_RECOVER_SECONDS", 120),
        # A job still queued this long after it was sent, while no job started meanwhile (idle
        # workers), lost its message and is sent again (sooner than a lease).
        "JOB_LOST_SECONDS": _env_int("JOB_LOST_SECONDS", 180),
        # Imports commit every this many rows, never one transaction for a whole file.
        "IMPORT_BATCH_ROWS": _env_int("IMPORT_BATCH_ROWS", 500),
        # After an import, one follow-up job indexes, matches and announces this many of the
        # changed records (services.import_follow_up).
        "IMPORT_FOLLOW_UP_ROWS": _env_int("IMPORT_FOLLOW_UP_ROWS", 500),
    }


def _engine_options(url: str) -> dict:
    """Pool settings; on PostgreSQL JIT is off (it added 25-60 ms to short queue queries)."""
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options
