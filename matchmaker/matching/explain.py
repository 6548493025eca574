"""Why a pair was proposed: shared key terms and the patent sentences closest to the need.

Shared terms: content words (jieba search mode, stopwords and patent boilerplate removed)
present in both texts, ranked by their IDF in the patent collection; a term inside a longer
shared term (钕铁硼 inside 烧结钕铁硼) is dropped. Closest sentences: the patent's abstract and
first-claim sentences, ranked by cosine to the need's vector under the primary encoder.

Cost control: encoding is the expensive step (USE costs about 0.1 ms per character of Chinese
on one core, so the sentences of ten patents would take longer than the whole search). Each
sentence is cut into clause windows of at most ``WINDOW_CHARS`` characters; the windows are
pre-selected cheaply by the IDF of the need's key terms they contain, and only the best
``SEMANTIC_CANDIDATES`` windows of each patent (from different sentences) are encoded. A
sentence's score is the cosine of its encoded window; the whole sentence is shown. Window
vectors are cached by text in a ``SentenceCache`` that lives for one batch (or one worker), so
a patent proposed to many needs is encoded once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..text import split_sentences
from ..text.fields import first_claim

MAX_SHARED_TERMS = 8
MAX_SENTENCES = 3
MAX_SENTENCES_PER_PATENT = 12  # consider at most this many sentences of one patent
SEMANTIC_CANDIDATES = 1  # encode at most this many windows per (need, patent) pair
SENTENCE_MIN_CHARS = 6
WINDOW_CHARS = 50
_CLAUSE = re.compile(r"(?<=[，,、：:])")


def shared_terms(need_terms: list[str], patent_terms: list[str], idf: Callable[[str], float],
                 limit: int = MAX_SHARED_TERMS) -> list[str]:
    """Key terms (``text.key_terms``) in both lists, highest IDF first, without terms nested
    in a longer shared one."""
    wanted = set(need_terms)
    both = [t for t in patent_terms if t in wanted]
    kept = [t for t in both if not any(t != o and t in o for o in both)]
    kept.sort(key=lambda t: (-idf(t), t))
    return kept[:limit]


def patent_sentences(abstract: str | None, claims: str | None) -> list[tuple[str, str]]:
    """(sentence, source) pairs: the abstract's sentences, then the first claim's."""
    out = [(s, "abstract") for s in split_sentences(abstract, SENTENCE_MIN_CHARS)]
    out += [(s, "claims") for s in split_sentences(first_claim(claims), SENTENCE_MIN_CHARS)]
    return out[:MAX_SENTENCES_PER_PATENT]


@dataclass(frozen=True)
class Piece:
    """A clause window to encode, and the sentence it stands for."""

    window: str
    sentence: str
    source: str


def pieces(sentences: list[tuple[str, str]], max_chars: int = WINDOW_CHARS) -> list[Piece]:
    """Each sentence cut at clause punctuation into windows of at most ``max_chars``."""
    out = []
    for sentence, source in sentences:
        current = ""
        for clause in _CLAUSE.split(sentence):
            if current and len(current) + len(clause) > max_chars:
                out.append(Piece(current[:max_chars], sentence, source))
                current = ""
            current += clause
        if current.strip():
            out.append(Piece(current[:max_chars], sentence, source))
    return out


def preselect(candidates: list[Piece], terms: list[str], idf: Callable[[str], float],
              limit: int = SEMANTIC_CANDIDATES) -> list[Piece]:
    """The ``limit`` windows holding the most IDF weight of ``terms``, one per sentence
    (ties: earlier first)."""
    weights = {t: idf(t) for t in terms}
    scored = sorted(((sum(w for t, w in weights.items() if t in p.window), -i, p)
                     for i, p in enumerate(candidates)), key=lambda x: (x[0], x[1]),
                    reverse=True)
    chosen: list[Piece] = []
    seen: set[str] = set()
    for *_, piece in scored:
        if piece.sentence not in seen:
            seen.add(piece.sentence)
            chosen.append(piece)
            if len(chosen) == limit:
                break
    return chosen


@dataclass
class SentenceCache:
    """Sentence vectors by text, reused across the needs of a batch (bounded)."""

    encoder: object
    max_entries: int = 50_000
    _vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, encoding (in one call) only those not cached yet."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            fresh = self.encoder.encode(todo)
            if len(self._vectors) + len(todo) > self.max_entries:
                self._vectors.clear()  # bounded memory; a batch rarely revisits old patents
            self._vectors.update(zip(todo, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.encoder.dim), np.float32)
        return np.stack([self._vectors[t] for t in texts])


def closest_sentences(need_vector: np.ndarray | None, chosen: list[Piece],
                      vectors: np.ndarray, limit: int = MAX_SENTENCES) -> list[dict]:
    """The sentences of the ``chosen`` windows, by cosine of window and need, best first."""
    if need_vector is None or not chosen or not np.any(need_vector):
        return []
    scores = vectors @ np.asarray(need_vector, np.float32).reshape(-1)  # unit vectors: cosine
    order = np.argsort(-scores, kind="stable")[:limit]
    return [{"text": chosen[i].sentence, "source": chosen[i].source,
             "score": round(float(scores[i]), 4)} for i in order]
