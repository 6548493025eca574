"""Key terms for explanations: whole domain words a broker can read, never fragments.

The BM25 channel reads every scrap of text (jieba's search mode with its HMM guesses, and CJK
character bigrams), which is right for ranking and wrong for showing: 智能网联 comes out as
智能网 + 联与 (an HMM guess across a word boundary), 交流电 as 交流 + 流电. Explanations take
words from jieba's precise mode **without** the HMM, so every Chinese term is a dictionary word
(jieba's own or the domain dictionary) cut where jieba cuts the sentence. A long word also
yields the parts of its best split (the split jieba itself would choose) when every part is a
dictionary word of two or more characters (烧结钕铁硼 -> 烧结 + 钕铁硼), so a need saying 钕铁硼
meets a patent saying 烧结钕铁硼 while 流电 (交流电 splits as 交流 + 电) or 电场 (风电场: 风 +
电场) never appear. Only a specific part (at most ``SUBWORD_MAX_FREQ`` in jieba's general
corpus) stands for its compound: 人工 (2816) is not 人工智能.

Function and generic words are dropped by a rule over jieba's dictionary (part of speech and
frequency in its general-language corpus), not by a hand list alone:

- a word whose part of speech is a function class (``FUNCTION_POS``: adverbs, prepositions,
  conjunctions, particles, pronouns, numerals, classifiers, locatives, ...) is never a term;
- a verb or adjective more frequent than ``GENERIC_VERB_FREQ`` is generic (属于 6871, 不能
  33939, 提高 16882; domain verbs stay: 冶炼 447, 焊接 268, 回收 526);
- a noun more frequent than ``GENERIC_NOUN_FREQ`` is generic (方案 7097, 材料 9137, 结构 14200;
  温度 3953, 成本 4289 stay);
- a compound made only of such words is generic too (满足要求 = 满足 + 要求);
- a word of the domain dictionary is always a term; the stop lists always win: those BM25 also
  reads (``data/stopwords_*.txt``, patent boilerplate included) and ``data/term_stopwords.txt``
  for explanations only (boilerplate the domain dictionary keeps whole, such as 技术方案, and
  the function words of scikit-learn's English list).

English: words on word boundaries, de-pluralised, at least three letters, minus the English
stop list (the scikit-learn / Glasgow list plus patent boilerplate).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .normalize import normalize
from .segment import DATA, domain_terms, stem, stopwords, tokenizer

# jieba part-of-speech tags (ICTCLAS set) of words that carry no subject: adverbs (d),
# prepositions (p), conjunctions (c), particles (u*), pronouns (r*), numerals (m, mq),
# classifiers (q), locatives (f), modal particles (y), interjections (e), onomatopoeia (o),
# prefixes and suffixes (h, k), time words (t, tg), distinguishing words (b), status words (z).
FUNCTION_POS = frozenset(
    "d dg p c u uj ul uv uz ud ug r rr rz rg m mq q f y e o h k t tg b z zg".split()
)
NOUN_POS = frozenset("n ng nr nrt nrfg ns nt nz vn an l i j eng".split())
GENERIC_VERB_FREQ = 2500  # verbs, adjectives and the rest above this are generic
GENERIC_NOUN_FREQ = 5000  # nouns (and noun-like idioms) above this are generic
SUBWORD_MAX_FREQ = 1000  # a part stands for its compound only when it is itself specific
MIN_EN_CHARS = 3
_EN_WORD = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|\d+[a-z][a-z0-9]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words of jieba's dictionary that the rule above calls function or generic words."""
    import jieba

    out = set()
    path = Path(jieba.__file__).resolve().parent / "dict.txt"
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) < 3:
                continue
            word, freq, pos = parts[0], int(parts[1]), parts[2]
            if pos in FUNCTION_POS:
                out.add(word)
            elif freq > (GENERIC_NOUN_FREQ if pos in NOUN_POS else GENERIC_VERB_FREQ):
                out.add(word)
    return frozenset(out - set(domain_terms()))


@lru_cache(maxsize=1)
def term_stopwords() -> frozenset[str]:
    """Every stop word of explanations: BM25's lists plus ``data/term_stopwords.txt``."""
    lines = (DATA / "term_stopwords.txt").read_text(encoding="utf-8").splitlines()
    extra = {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}
    return stopwords() | frozenset(extra)


def _is_word(token: str) -> bool:
    """A word of jieba's or the domain dictionary (not an HMM guess, not a prefix entry)."""
    return bool(tokenizer().FREQ.get(token))


def split(word: str) -> list[str]:
    """``word``'s most probable split into two or more parts (jieba's own route over its word
    graph, the whole word left out); ``[]`` for a word of fewer than three characters."""
    tok = tokenizer()
    if len(word) < 3:
        return []
    dag = tok.get_DAG(word)
    dag[0] = [end for end in dag[0] if end != len(word) - 1] or [0]
    route: dict[int, tuple[float, int]] = {}
    tok.calc(word, dag, route)
    out, start = [], 0
    while start < len(word):
        end = route[start][1] + 1
        out.append(word[start:end])
        start = end
    return out


def sub_words(word: str) -> list[str]:
    """The parts of ``word`` that may stand for it: only when its best split is clean (every
    part a dictionary word of two or more characters: 烧结钕铁硼 -> 烧结 + 钕铁硼, but not
    风电场 -> 风 + 电场), and only the specific parts (人工智能 -> 智能; 人工 is too common)."""
    return list(_sub_words(word))


@lru_cache(maxsize=65536)  # a word's parts never change in a process: cut each word once
def _sub_words(word: str) -> tuple[str, ...]:
    parts = split(word)
    freq, domain = tokenizer().FREQ, domain_set()
    if not parts or any(len(p) < 2 or not freq.get(p) for p in parts):
        return ()
    return tuple(p for p in parts if p in domain or freq[p] <= SUBWORD_MAX_FREQ)


@lru_cache(maxsize=131072)  # pure function of the word (and the fixed dictionaries)
def is_term(word: str) -> bool:
    """Whether ``word`` (a lower-cased token) may be shown as a shared term."""
    if word in term_stopwords():
        return False
    if word.isascii():
        return len(word) >= MIN_EN_CHARS and not word.replace(".", "", 1).isdigit()
    if len(word) < 2 or not _CJK.search(word):
        return False
    if word in domain_set():
        return True
    if not _is_word(word) or word in generic_words():
        return False
    parts = split(word)  # a compound of generic words only is generic (满足要求)
    return not (parts and all(len(p) >= 2 and not is_term(p) for p in parts))


@lru_cache(maxsize=1)
def domain_set() -> frozenset[str]:
    return frozenset(domain_terms())


def term_words(text: str) -> list[str]:
    """Whole words of ``text`` (with the dictionary sub-words of long ones), in order."""
    return _cut_words(normalize(text).lower())


def _cut_words(text: str) -> list[str]:
    """``term_words`` of text already normalised and lower-cased."""
    if not text:
        return []
    out: list[str] = []
    for token in _domain_first(list(tokenizer().cut(text, HMM=False))):
        token = token.strip()
        if not token:
            continue
        if token.isascii():
            out.extend(stem(w) for w in _EN_WORD.findall(token))
        elif _CJK.search(token):
            out.append(token)
            out.extend(_sub_words(token))
    return out


def _domain_first(tokens: list[str]) -> list[str]:
    """jieba's words, re-cut where a word and the single character after it end in a domain
    term and the word's rest is a word itself: 单位制 + 氢 -> 单位 + 制氢 (jieba's general
    corpus prefers 单位制, "unit system"; the text means the unit hydrogen output), 露天矿 + 山
    -> 露天 + 矿山. A following word of two or more characters is left alone (存储 + 能力 never
    becomes 存 + 储能 + 力), as is any cut that no domain term crosses."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if len(after) == 1 and len(word) >= 3 and _CJK.match(after) and _CJK.search(word):
            for k in range(1, len(word) - 1):  # the domain term takes the word's last k chars
                rest, term = word[:-k], word[-k:] + after
                if term in domain_set() and _is_word(rest):
                    out += [rest, term]
                    i += 2
                    break
            else:
                out.append(word)
                i += 1
            continue
        out.append(word)
        i += 1
    return out


def key_terms(text: str) -> list[str]:
    """Distinct key terms of ``text`` for explanations (see the module docstring), in order.

    Cached by text (segmenting a 500-character patent costs about 4 ms of CPU): a patent
    proposed to many needs of a batch, or again on its pair page, is cut once per process."""
    return list(_key_terms(text))


def key_terms_among(text: str, wanted: Iterable[str]) -> list[str]:
    """The key terms of ``text`` that are in ``wanted``, in order: exactly
    ``[t for t in key_terms(text) if t in wanted]``, at a fraction of the cost.

    An explanation only needs the patent's terms that the need also has. jieba cuts a text
    block by block (runs of ideographs, letters and digits between punctuation and spaces,
    ``jieba.re_han_default``), each block on its own, and every word or sub-word it yields lies
    inside its block. So only the blocks that contain a wanted term are cut: a wanted Chinese
    term as a substring, a wanted English term (de-pluralised by ``stem``) by all but its last
    letter (batteries -> battery: ``batter`` is in both). On a 500-character patent and a
    need's twenty terms that is a handful of clauses instead of forty.
    """
    wanted = set(wanted)
    if not wanted:
        return []
    import jieba

    probe = _probe(frozenset(wanted))
    text = normalize(text).lower()
    blocks = [b for b in jieba.re_han_default.findall(text) if probe.search(b)]
    seen: dict[str, None] = {}
    for word in _cut_words(" ".join(blocks)):
        if word in wanted and word not in seen and is_term(word):
            seen[word] = None
    return list(seen)


@lru_cache(maxsize=256)
def _probe(wanted: frozenset[str]) -> re.Pattern:
    """One pattern finding any wanted term in a block: a Chinese term whole, an English one
    without its last letter (``key_terms_among``)."""
    probes = {t if not t.isascii() else t[:-1] for t in wanted}
    return re.compile("|".join(re.escape(p) for p in sorted(probes, key=(lambda p: -len(p)))))


@lru_cache(maxsize=8192)
def _key_terms(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for word in term_words(text):
        if is_term(word):
            seen.setdefault(word, None)
    return tuple(seen)
