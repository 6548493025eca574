"""Settings read from ``MATCHMAKER_*`` environment variables."""

from __future__ import annotations

import os
import secrets
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


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping from the environment.

    Every key can be overridden with ``MATCHMAKER_<KEY>``; see README.md for the list.
    """
    instance = Path(instance_path)
    default_db = f"sqlite:///{instance / 'matchmaker.sqlite3'}"
    database_url = _env("DATABASE_URL", default_db)
    return {
        "SECRET_KEY": _env("SECRET_KEY") or _persistent_secret(instance),
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
        "MATCH_TOP_K": _env_int("MATCH_TOP_K", 10),
        "HOME_REGION": _env("HOME_REGION", "包头市"),
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
        "MAIL_FROM": _env("MAIL_FROM", "matchmaker@localhost"),
        # Alerts: a match is "strong" at this fused score or among the top N of its record.
        "ALERT_MIN_SCORE": _env_float("ALERT_MIN_SCORE", 0.9),
        "ALERT_TOP_N": _env_int("ALERT_TOP_N", 3),
        # Booklet: a TrueType font (path, or path#face for a .ttc) and the contact line printed
        # on every patent page; both fall back to sensible defaults (matchmaker.booklet).
        "BOOKLET_FONT": _env("BOOKLET_FONT"),
        "BOOKLET_CONTACT": _env("BOOKLET_CONTACT"),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        # Import limits: an XLSX is refused before parsing above this inflated size or when a
        # member inflates more than this ratio (zip bombs); JSON Lines lines above these
        # lengths or nesting depths become row errors.
        "MAX_UNCOMPRESSED_BYTES": _env_int("MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        "MAX_COMPRESSION_RATIO": _env_float("MAX_COMPRESSION_RATIO", 100.0),
        "JSONL_MAX_LINE_CHARS": _env_int("JSONL_MAX_LINE_CHARS", 1_000_000),
        "JSONL_MAX_DEPTH": _env_int("JSONL_MAX_DEPTH", 32),
        "WTF_CSRF_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PAGE_SIZE": _env_int("PAGE_SIZE", 25),
        "DASHBOARD_CACHE_SECONDS": _env_int("DASHBOARD_CACHE_SECONDS", 60),
        # /healthz shows counts and index state to admins and to callers sending this token.
        "HEALTH_TOKEN": _env("HEALTH_TOKEN"),
    }


def _engine_options(url: str) -> dict:
    """Pool settings; on PostgreSQL JIT is off (it added 25-60 ms to short queue queries)."""
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options


def _persistent_secret(instance: Path) -> str:
    """Keep one random secret per instance folder so sessions survive restarts and workers agree."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        with open(path, "x", encoding="ascii") as fh:  # "x": only one worker ever writes it
            fh.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii").strip()
