"""The encoder interface: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from matchmaker.encoders import counting


class Encoder(ABC):
    """Turns texts into L2-normalised vectors, so that inner product equals cosine similarity.

    Attributes:
        name: the config spec it was built from ("use-multilingual",
            "sentence-transformers:all-MiniLM-L6-v2", "fake").
        version: identifies the weights (package version or a short hash of the model folder).
        dim: length of each vector.
        languages: None when Chinese and English share one space; else the languages it
            understands, e.g. ``frozenset({"en"})``.
        max_chars: texts longer than about this are cut by the encoder's own tokenizer.
    """

    name: str
    version: str
    dim: int
    languages: frozenset[str] | None = None
    max_chars: int

    @abstractmethod
    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Backend hook: return (n, dim) vectors for a non-empty list of texts."""

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> np.ndarray:
        """Encode texts.

        Args:
            texts: the texts; ``None`` entries are treated as empty strings.
            batch_size: texts per forward pass.
            progress: show a progress bar (CLI use).

        Returns:
            float32 array of shape (len(texts), dim), each row of unit L2 norm (an all-zero
            row only where the backend had nothing to encode); (0, dim) for empty input.
        """
        if isinstance(texts, str):
            # A bare string would be encoded character by character; refuse it loudly.
            raise TypeError("encode() takes a sequence of texts, not a single string")
        items = ["" if t is None else str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._encode(items, batch_size, progress), dtype=np.float32)
        counting.add_texts(self.name, len(items))
        if vectors.shape != (len(items), self.dim):
            raise ValueError(f"{self.name} returned shape {vectors.shape}, expected "
                             f"({len(items)}, {self.dim})")
        return normalize(vectors)

    def supports(self, language: str) -> bool:
        """True when texts in ``language`` ("zh", "en") land in this encoder's space."""
        return self.languages is None or language in self.languages

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} v{self.version} dim={self.dim}>"


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit L2 norm (zero rows stay zero) so inner product == cosine."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return vectors / norms
