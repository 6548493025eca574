"""The files of one stored collection: naming, the cross-process lock, checks, the manifest.

``CollectionStore`` keeps the life cycle (load, log, compact); this module holds what it does
to the folder, so each stays readable on its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Iterator
from pathlib import Path

from matchmaker.errors import IndexUnusable
from matchmaker.indexing.manifest import (
    MANIFEST,
    Manifest,
    library_versions,
    sha256_file,
    utc_now_iso,
)

REBUILD_HINT = "run `flask build-index`"


def unusable(reason: str, message: str) -> IndexUnusable:
    """An IndexUnusable carrying ``reason``: "missing", "corrupt" or "mismatch"."""
    exc = IndexUnusable(f"{message}; {REBUILD_HINT}")
    exc.reason = reason
    return exc


def collection_name(prefix: str, encoder_spec: str) -> str:
    """Folder-safe name: ("patents", "use-multilingual") -> "patents-use-multilingual"."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", encoder_spec.lower()).strip("-.")
    return f"{prefix}-{slug}"


@contextlib.contextmanager
def file_lock(path: Path, mode: int) -> Iterator[None]:
    """``fcntl.flock`` on ``path`` (``LOCK_SH`` or ``LOCK_EX``) for the block's duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), mode)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def check_identity(name: str, manifest: Manifest, wanted: tuple[str, str, int]) -> None:
    """Refuse ("mismatch") a collection built by another encoder, version or dimension."""
    found = (manifest.encoder, manifest.encoder_version, manifest.dim)
    if tuple(wanted) != found:
        raise unusable(
            "mismatch",
            f"index {name!r} was built by encoder {found[0]} v{found[1]} (dim {found[2]}), "
            f"not {wanted[0]} v{wanted[1]} (dim {wanted[2]})",
        )


def check_files(name: str, directory: Path, manifest: Manifest) -> None:
    """Refuse a base whose files are gone ("missing") or differ from their checksum
    ("corrupt")."""
    for fname, expected in manifest.files.items():
        path = directory / fname
        if not path.is_file():
            raise unusable("missing", f"index {name!r}: {fname} is missing")
        if sha256_file(path) != expected:
            raise unusable("corrupt", f"index {name!r}: checksum of {fname} differs")


def read_base(name: str, directory: Path, manifest: Manifest, backend, *, mmap: bool):
    """The checked base collection ``manifest`` describes, loaded by ``backend``."""
    check_files(name, directory, manifest)
    try:
        base = backend.load(manifest.index_type, directory, mmap=mmap)
    except (RuntimeError, ValueError, KeyError, OSError) as exc:
        raise unusable("corrupt", f"index {name!r} cannot be read: {exc}") from exc
    if base.dim != manifest.dim or len(base) != manifest.count:
        raise unusable("corrupt", f"index {name!r} does not match its manifest")
    return base


def new_manifest(name: str, directory: Path, collection, identity: tuple[str, str, int],
                 previous: Manifest | None) -> Manifest:
    """The manifest of ``collection`` just saved into ``directory`` (version + 1)."""
    files = {fname: sha256_file(directory / fname) for fname in collection.files()}
    return Manifest(
        name=name, encoder=identity[0], encoder_version=identity[1], dim=int(identity[2]),
        count=len(collection), index_type=collection.kind, created_at=utc_now_iso(),
        version=(previous.version if previous else 0) + 1,
        checksum=next(iter(files.values())), files=files,
        faiss_version=library_versions()["faiss"], library_versions=library_versions(),
        extras=collection.extras(),
    )


def remove_leftovers(directory: Path, keep: set[str]) -> None:
    """Delete files of an older base (a flat index saved over an HNSW one leaves labels.npy;
    every new base leaves the previous log): harmless but confusing."""
    for path in directory.iterdir():
        if path.is_file() and path.name not in keep and path.name != MANIFEST \
                and not path.name.startswith("."):
            path.unlink()
