"""The JSON manifest beside every saved index, and the atomic file writes it relies on."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = 1


@dataclasses.dataclass
class Manifest:
    """What a saved index was built from; compared against the running encoder before use.

    ``checksum`` is the sha256 of ``index.faiss``; ``files`` maps every file of the index
    (index.faiss first, then backend extras such as labels.npy) to its sha256.
    """

    name: str
    encoder: str
    encoder_version: str
    dim: int
    count: int
    index_type: str
    created_at: str
    version: int
    checksum: str
    files: dict[str, str]
    faiss_version: str
    library_versions: dict[str, str]
    extras: dict = dataclasses.field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> str:
        """Serialise as pretty, key-sorted JSON (diffable, human readable)."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        """Build from parsed JSON, ignoring keys a newer writer may have added."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def read_manifest(directory: Path) -> Manifest | None:
    """Return the manifest in ``directory``, or None when there is none.

    Raises:
        ValueError: the file exists but is not a valid manifest.
    """
    path = Path(directory) / MANIFEST
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_dict(json.loads(raw))
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"{path}: invalid manifest ({exc})") from exc


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically; call it last, after the files it describes."""
    with atomic_path(Path(directory) / MANIFEST) as tmp:
        tmp.write_text(manifest.to_json() + "\n", encoding="utf-8")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success fsync it and rename it over target.

    A reader therefore sees either the old file or the new one, never a half-written file; on
    error the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so large indexes need no extra memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that wrote the files (for diagnosing a refused load)."""
    import faiss
    import numpy

    return {"faiss": faiss.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def utc_now_iso() -> str:
    """Current UTC time as ISO 8601 with an explicit offset."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
