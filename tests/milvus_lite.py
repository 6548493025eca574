"""One Milvus Lite database for a test module: each file starts its own embedded server
(about two seconds and a process), so the contract suites share one and every collection gets
a unique name."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_folder: list[Path] = []


def lite_uri() -> str:
    """The shared Milvus Lite file (created on first use, removed at exit)."""
    if not _folder:
        _folder.append(Path(tempfile.mkdtemp(prefix="matchmaker-milvus-")))
        atexit.register(shutil.rmtree, _folder[0], True)
    return str(_folder[0] / "lite.db")
