"""Choose an encoder by its config spec; load it once per process, on first use.

Fork safety: nothing is loaded at import time. The cache below is an ordinary module dict
filled the first time ``get_encoder`` runs, which in the web app is inside a request, i.e. in
a gunicorn worker after the fork. Model state (torch/OpenMP thread pools, BLAS handles) does
not survive ``fork()`` reliably, so the cache also remembers the process id that filled it:
if a process that already loaded a model forks (``gunicorn --preload`` with an encode at
startup), the child sees a different pid, drops the inherited entries and loads its own.
"""

from __future__ import annotations

import logging
import os
import threading

from matchmaker.encoders.base import Encoder
from matchmaker.errors import EncoderUnavailable

log = logging.getLogger(__name__)

ST_PREFIX = "sentence-transformers:"
VALID_SPECS = ("use-multilingual", ST_PREFIX + "<name or path>", "fake")

_cache: dict[tuple[str, str], Encoder] = {}
_cache_pid: int | None = None
_lock = threading.Lock()


def get_encoder(spec: str, *, models_dir: str, threads: int = 2) -> Encoder:
    """Return the encoder for ``spec``, building it on first use in this process.

    Args:
        spec: "use-multilingual", "sentence-transformers:<name or path>" or "fake".
        models_dir: folder searched for sentence-transformers model folders.
        threads: CPU threads the backend may use (taken from the first call).

    Raises:
        EncoderUnavailable: unknown spec, package missing or model folder absent.
    """
    global _cache_pid
    spec = (spec or "").strip()
    key = (spec, os.path.abspath(models_dir))
    with _lock:
        if _cache_pid != os.getpid():
            _cache.clear()
            _cache_pid = os.getpid()
        encoder = _cache.get(key)
        if encoder is None:
            encoder = _build(spec, models_dir, threads)
            log.info("loaded encoder %r", encoder)
            _cache[key] = encoder
        return encoder


def parse_specs(value: str) -> list[str]:
    """Split a comma-separated ENCODER/EXTRA_ENCODERS setting into specs, dropping blanks."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def clear_cache() -> None:
    """Forget every loaded encoder (tests; frees memory)."""
    with _lock:
        _cache.clear()


def _build(spec: str, models_dir: str, threads: int) -> Encoder:
    # Backend modules are imported here, not at the top, so importing the package stays cheap.
    if spec == "fake":
        from matchmaker.encoders.fake import FakeEncoder

        return FakeEncoder()
    if spec == "use-multilingual":
        from matchmaker.encoders.use_multilingual import UseMultilingualEncoder

        return UseMultilingualEncoder(threads=threads)
    if spec.startswith(ST_PREFIX) and spec[len(ST_PREFIX):].strip():
        from matchmaker.encoders.sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(
            spec[len(ST_PREFIX):].strip(), models_dir=models_dir, threads=threads
        )
    raise EncoderUnavailable(
        f"unknown encoder {spec!r}; valid specs: {', '.join(VALID_SPECS)}"
    )
