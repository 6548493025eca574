"""A deterministic, model-free encoder for tests: hashed words and Chinese character bigrams."""

from __future__ import annotations

import re
import zlib

import numpy as np

from matchmaker.encoders.base import Encoder

_LATIN = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def features(text: str) -> list[str]:
    """Latin words and, for each run of Chinese characters, its character bigrams (or the
    single character of a one-character run)."""
    text = text.lower()
    feats = _LATIN.findall(text)
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            feats.append(run)
        feats.extend(run[i:i + 2] for i in range(len(run) - 1))
    return feats


class FakeEncoder(Encoder):
    """Feature hashing into 64 dimensions: texts sharing terms get a higher cosine.

    Each feature adds +1 or -1 (sign from the hash, which keeps collisions unbiased) at a
    hashed position. crc32 is used because Python's ``hash`` is salted per process. A text
    with no features (empty, punctuation only) encodes to the zero vector.
    """

    name = "fake"
    version = "1"
    dim = 64
    languages = None
    max_chars = 10_000

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feat in features(text[: self.max_chars]):
                h = zlib.crc32(feat.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return out
