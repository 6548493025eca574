"""Why a pair was proposed: shared key terms and the patent sentences closest to the need.

Shared terms: content words (jieba search mode, stopwords and patent boilerplate removed)
present in both texts, ranked by their IDF in the patent collection; a term inside a longer
shared term (钕铁硼 inside 烧结钕铁硼) is dropped. Closest sentences: the patent's abstract and
first-claim sentences, ranked by cosine to the need's vector under the primary encoder, without
the sentences (and clause windows) that only restate the title or the technical field
(``restates_title``): "本发明公开了一种<title>。" tells a broker nothing the title did not.

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

from ..encoders import counting
from ..text import split_sentences
from ..text.fields import first_claim
from ..text.normalize import normalize
from .fusion import normalise

MAX_SHARED_TERMS = 8
MAX_SENTENCES = 3
MAX_SENTENCES_PER_PATENT = 12  # consider at most this many sentences of one patent
SEMANTIC_CANDIDATES = 1  # encode at most this many windows per (need, patent) pair
SENTENCE_MIN_CHARS = 6
WINDOW_CHARS = 50
_CLAUSE = re.compile(r"(?<=[，,、：:])")
TITLE_SHARE = 0.6  # a sentence whose words are this much the title's restates it
# Patent boilerplate that opens a restatement: 本发明公开了一种 ..., The present invention
# relates to a ..., Disclosed is a ...
_OPENER = re.compile(
    r"^(?:本(?:发明|实用新型|申请|公开|外观设计)(?:实施例)?(?:的目的是)?"
    r"(?:公开|提供|涉及|属于|提出|公布|记载|描述|是)?了?(?:一种|一类|一套|一个)?"
    r"|(?:一种|一类|一套)"
    r"|(?:the\s+)?(?:present\s+)?(?:invention|disclosure|utility\s+model|application)\s+"
    r"(?:relates?\s+to|provides?|discloses?|is\s+directed\s+to|concerns?|describes?)\s*"
    r"(?:the\s+field\s+of\s+)?(?:an?\s+|the\s+)?"
    r"|(?:disclosed|provided|described)\s+(?:herein\s+)?(?:is|are)\s+(?:an?\s+)?)",
    re.IGNORECASE)
# Claim and abstract filler that says nothing beyond the title.
_FILLER = re.compile(r"其特征在于|包括以下步骤|包括如下步骤|包括|所述|comprising|wherein|"
                     r"characterized in that|the steps of", re.IGNORECASE)
_FIELD = re.compile(r"(?:技术)?领域[。.；;，,]?$|\bfields?\b[^.]*\.?$", re.IGNORECASE)
_UNITS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_UNITS_EN = re.compile(r"[a-z0-9]+")


def _units(text: str) -> list[str]:
    """Comparable units of ``text``: CJK character bigrams and lower-cased English words."""
    text = normalize(text).lower()
    out = [run[i:i + 2] for run in _UNITS_CJK.findall(text) for i in range(max(1, len(run) - 1))]
    return out + _UNITS_EN.findall(text)


def restates_title(sentence: str, title: str | None) -> bool:
    """Whether ``sentence`` only restates the title or the field.

    After the boilerplate opener (本发明公开了一种, The present invention relates to ...) is
    cut off, either nothing but a technical-field statement is left (本发明涉及冶金技术领域),
    or at least ``TITLE_SHARE`` of what is left is the title's (its character bigrams, its
    English words). A sentence that goes on to say how the invention works is kept.
    """
    text = normalize(sentence).strip()
    opener = _OPENER.match(text)
    rest = text[opener.end():] if opener and opener.end() else text
    field_of = opener is not None and "field" in opener.group(0).lower()
    if opener and opener.end() and (field_of or _FIELD.search(rest)) and len(rest) <= 40:
        return True
    units = _units(_FILLER.sub(" ", rest))
    if not units or not title:
        return not units
    known = set(_units(title))
    return sum(u in known for u in units) / len(units) >= TITLE_SHARE


def shared_terms(need_terms: list[str], patent_terms: list[str], idf: Callable[[str], float],
                 limit: int = MAX_SHARED_TERMS,
                 written: tuple[str, str] | None = None) -> list[str]:
    """Key terms (``text.key_terms``) in both lists, highest IDF first, without terms nested
    in a longer shared one. ``written``: the need's and the patent's own words (title,
    description or abstract, keywords or first claim); a term must appear in both. The lexical
    texts also hold the technical field and the IPC descriptions, which are Chinese: an English
    patent otherwise "shared" 抛光粉 and 稀土 with a Chinese need (QA, stop 35)."""
    wanted = set(need_terms)
    both = [t for t in patent_terms if t in wanted]
    if written is not None:
        need_text, patent_text = written
        both = [t for t in both if written_in(t, need_text) and written_in(t, patent_text)]
    kept = [t for t in both if not any(t != o and t in o for o in both)]
    kept.sort(key=lambda t: (-idf(t), t))
    return kept[:limit]


def written_text(prepared, doc=None) -> str:
    """What people wrote of a record: a patent's title, abstract and first claim (``doc``, a
    candidate's texts), else the first dense part (a need's title, description and keywords;
    a patent's title and abstract); never its technical field or IPC descriptions."""
    if doc is not None and (doc.title or doc.abstract):
        return " ".join(t for t in (doc.title, doc.abstract, first_claim(doc.claims)) if t)
    return prepared.parts[0][0] if prepared.parts else ""


def written_in(term: str, text: str | None) -> bool:
    """Whether ``text`` writes ``term``: a Chinese term anywhere, a Latin one at the start of a
    word in any case ("magnet" in "Magnets", "iac" in "IACS", not "per" in "operates")."""
    if not term or not text:
        return False
    if not term.isascii():
        return term in text
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(term)}", text, re.I) is not None


def patent_sentences(abstract: str | None, claims: str | None,
                     title: str | None = None) -> list[tuple[str, str]]:
    """(sentence, source) pairs: the abstract's sentences, then the first claim's, without
    those restating the title."""
    out = [(s, "abstract") for s in split_sentences(abstract, SENTENCE_MIN_CHARS)]
    out += [(s, "claims") for s in split_sentences(first_claim(claims), SENTENCE_MIN_CHARS)]
    return [(s, source) for s, source in out
            if not restates_title(s, title)][:MAX_SENTENCES_PER_PATENT]


@dataclass(frozen=True)
class Piece:
    """A clause window to encode, and the sentence it stands for."""

    window: str
    sentence: str
    source: str


def pieces(sentences: list[tuple[str, str]], max_chars: int = WINDOW_CHARS,
           title: str | None = None) -> list[Piece]:
    """Each sentence cut at clause punctuation into windows of at most ``max_chars``; a window
    that restates the title ("一种烧结钕铁硼磁体的制备方法，") is not a candidate (its sentence
    still is, through its other windows)."""
    out = []
    for sentence, source in sentences:
        windows, current = [], ""
        for clause in _CLAUSE.split(sentence):
            if current and len(current) + len(clause) > max_chars:
                windows.append(current[:max_chars])
                current = ""
            current += clause
        if current.strip():
            windows.append(current[:max_chars])
        kept = [w for w in windows if not restates_title(w, title)] if title else windows
        out.extend(Piece(w, sentence, source) for w in kept)
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
            with counting.purpose(counting.SENTENCES):
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


def channel_values(fused: list, method: str, rrf_k: int) -> dict[str, tuple[dict, float]]:
    """Per channel: (candidate id -> its normalised value, the value of a candidate the channel
    did not list), recomputed from the fused pool exactly as ``fusion.fuse`` normalised them
    (the pool holds every listed document of every channel, with its raw score and rank)."""
    listed: dict[str, list[tuple[int, float, int]]] = {}
    for item in fused:
        for name, values in item.channels.items():
            if values.get("rank") is not None and values.get("score") is not None:
                listed.setdefault(name, []).append((item.id, values["score"], values["rank"]))
    out = {}
    for name, hits in listed.items():
        if method == "rrf":
            out[name] = ({i: 1.0 / (rrf_k + rank) for i, _, rank in hits}, 0.0)
            continue
        values, floor = normalise(np.array([s for _, s, _ in hits], np.float64), method)
        out[name] = (dict(zip((i for i, _, _ in hits), values.tolist(), strict=True)), floor)
    return out


def channel_shares(candidate_id: int, channels: dict, values: dict[str, tuple[dict, float]],
                   kinds: dict[str, str]) -> list[dict]:
    """Each channel's share of the candidate's fused score, in percent (they add up to 100).

    The fused value is sum_c w_c * v_c / sum_c w_c (``fusion.fuse``); a channel's part is
    w_c * v_c. Parts below zero (a channel that ranks the candidate below its own average)
    count as no support, so the shares say which channels put the candidate where it is.
    """
    parts = {}
    for name, info in channels.items():
        weight = info.get("weight") or 0.0
        if weight <= 0 or name not in values:
            continue
        by_id, floor = values[name]
        parts[name] = max(0.0, weight * by_id.get(candidate_id, floor))
    total = sum(parts.values())
    if total <= 0:
        return []
    raw = {name: 100.0 * part / total for name, part in parts.items()}
    shares = {name: int(value) for name, value in raw.items()}
    # largest remainders get the points lost to rounding down, so the shares add up to 100
    for name in sorted(raw, key=lambda n: (-(raw[n] - shares[n]), n))[:100 - sum(shares.values())]:
        shares[name] += 1
    return [{"channel": name, "kind": kinds.get(name, "extra"), "share": shares[name]}
            for name in parts]
