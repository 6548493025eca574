"""Word segmentation: jieba with the domain dictionary for Chinese, a regex for English.

jieba's own dictionary costs about a second to load, so the tokenizer is built lazily on first
use, once per process, from a private ``jieba.Tokenizer`` (the global one is left alone for
any other user in the process).
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from .normalize import has_cjk, normalize

DATA = Path(__file__).resolve().parent / "data"
log = logging.getLogger(__name__)

_lock = threading.Lock()
_tokenizer = None

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN_WORD = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|[a-z]|\d+(?:\.\d+)?[a-z]*")
_WORD_CHARS = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
BIGRAM_MARK = "#"  # bigram terms live beside word terms in one vocabulary: keep them apart


def read_list(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def domain_terms() -> tuple[str, ...]:
    """The domain dictionary's terms (first column of ``data/domain_dict.txt``)."""
    return tuple(line.split()[0] for line in read_list("domain_dict.txt"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Chinese and English stopwords, patent boilerplate included."""
    return frozenset(read_list("stopwords_zh.txt")) | frozenset(read_list("stopwords_en.txt"))


def tokenizer():
    """The process's jieba tokenizer with the domain dictionary loaded (built on first use)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for line in read_list("domain_dict.txt"):
                    parts = line.split()
                    freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                    tok.add_word(parts[0], freq)
                _tokenizer = tok
                log.debug("jieba ready with %d domain terms", len(domain_terms()))
    return _tokenizer


def stem(word: str) -> str:
    """Light English stemming: plural endings only (batteries -> battery, magnets -> magnet)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str, *, search: bool = False) -> list[str]:
    """Segment ``text`` into words: jieba where it has CJK, a regex otherwise; lower-cased.

    ``search=True`` uses jieba's search mode, which also emits the dictionary words inside a
    long word (烧结钕铁硼 -> 烧结, 钕铁硼, 烧结钕铁硼), so a need saying 钕铁硼 meets a patent
    saying 烧结钕铁硼. English words are de-pluralised; punctuation and whitespace are dropped.
    Stopwords are kept (callers decide).
    """
    text = normalize(text).lower()
    if not text:
        return []
    if not has_cjk(text):
        return [stem(w) for w in _EN_WORD.findall(text)]
    out = []
    tok = tokenizer()
    tokens = tok.cut_for_search(text, HMM=True) if search else tok.cut(text, HMM=True)
    for token in tokens:
        token = token.strip()
        if not token or not _WORD_CHARS.search(token):
            continue
        if token.isascii():
            out.extend(stem(w) for w in _EN_WORD.findall(token))
        else:
            out.append(token)
    return out


def content_words(text: str, *, search: bool = True) -> list[str]:
    """``words`` (search mode by default) minus stopwords and bare numbers."""
    stop = stopwords()
    return [w for w in words(text, search=search) if w not in stop and not _is_number(w)]


def char_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of every CJK run (marked with ``BIGRAM_MARK``)."""
    out = []
    for run in _CJK_RUN.findall(normalize(text)):
        if len(run) == 1:
            continue
        out.extend(BIGRAM_MARK + run[i : i + 2] for i in range(len(run) - 1))
    return out


@lru_cache(maxsize=1)
def _snowball():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def lexical_terms(text: str, *, bigrams: bool = True, search: bool = True) -> list[str]:
    """Terms the BM25 channel indexes: content words (English ones Snowball-stemmed, which
    only a ranking, not a reader, sees), plus CJK character bigrams if asked."""
    snowball = _snowball()
    terms = [snowball.stemWord(w) if w.isascii() and w.isalpha() else w
             for w in content_words(text, search=search)]
    if bigrams:
        terms.extend(char_bigrams(text))
    return terms


def _is_number(word: str) -> bool:
    return word.replace(".", "", 1).isdigit()
