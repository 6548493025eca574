"""Private instance files: the folder 0700, the secret key and the SQLite file 0600."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def _tighten(path: Path, mode: int) -> None:
    """Remove group and other access; a path owned by someone else is left alone, with a warning."""
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot restrict %s to %o; check its owner and mode", path, mode)


def persistent_secret(instance: Path) -> str:
    """One random secret per instance folder, so sessions survive restarts and workers agree."""
    path = instance / "secret_key"
    try:
        # O_EXCL: only one worker ever writes it; 0600 from the start, whatever the umask.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _tighten(path, 0o600)
    else:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def _sqlite_file(app: Flask) -> Path | None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return path if path.is_absolute() else Path(app.instance_path) / path


def install(app: Flask) -> None:
    """Make the instance files private and refuse a generated secret key in production."""
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(instance, 0o700)
    if not app.config.get("SECRET_KEY"):
        if not (app.debug or app.testing or app.config.get("ALLOW_GENERATED_SECRET")):
            raise RuntimeError(
                "MATCHMAKER_SECRET_KEY is not set. Set it to a long random value in production, "
                "or set MATCHMAKER_ALLOW_GENERATED_SECRET=1 to keep a generated one in "
                f"{instance / 'secret_key'} (the local demo does)."
            )
        app.config["SECRET_KEY"] = persistent_secret(instance)
    database = _sqlite_file(app)
    if database is not None and database.parent.is_dir():
        # Create it before SQLite does, so it is never readable by others, even for a moment.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        _tighten(database, 0o600)
