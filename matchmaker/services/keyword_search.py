"""Keyword search over words: every word of the query must occur (AND), with a count per word.

A query is cut into words by the engine's own tokenizer (jieba with the domain dictionary for
Chinese, words for English), so "风电 故障" and "风电故障" both ask for rows holding 风电 **and**
故障, wherever they stand; stop words (的, 方法, the, of ...) are dropped. Each word is matched
as a case-insensitive substring of the searched columns, portable across SQLite and PostgreSQL
(``contains_any``); an English word also matches its plural or singular form.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Select, String, and_, cast, func, or_, select

from ..text import has_cjk, normalize, stopwords
from ..text.segment import stem, tokenizer

MAX_WORDS = 8  # a pasted paragraph is not a keyword query: its first words are enough
_CHUNK = re.compile(r"[^\s,，、;；:：。.!?！？()（）\[\]【】\"'“”‘’/|]+")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9.\-_]*")


def _like(text: str) -> str:
    # "!" as the LIKE escape: backslash is literal in SQLite but special in PostgreSQL.
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def contains_any(columns, json_columns, text: str):
    """Case-insensitive substring match over text columns and JSON list columns.

    JSON columns are serialised with ``ensure_ascii``, so Chinese keywords are stored as
    ``\\uXXXX`` escapes; the escaped form of the query is searched too (portable LIKE).
    """
    raw = _like(text)
    escaped = _like(json.dumps(text)[1:-1])
    clauses = [col.ilike(raw, escape="!") for col in columns]
    for col in json_columns:
        clauses.append(cast(col, String).ilike(raw, escape="!"))
        if escaped != raw:
            clauses.append(cast(col, String).ilike(escaped, escape="!"))
    return or_(*clauses)


def query_words(query: str) -> list[str]:
    """The words of a search query, in order and without repeats; the whole (normalised)
    query when it holds nothing but stop words."""
    text = normalize(query).lower()
    stop = stopwords()
    words: list[str] = []
    for chunk in _CHUNK.findall(text):
        if has_cjk(chunk):
            tokens = [t.strip() for t in tokenizer().cut(chunk, HMM=True)]
        else:
            tokens = _ASCII_WORD.findall(chunk)
        for token in tokens:
            token = token.strip(".-_")
            if token and token not in stop and token not in words:
                words.append(token)
    return words[:MAX_WORDS] or ([text] if text else [])


def word_forms(word: str) -> list[str]:
    """What one query word may look like in the text: itself, and for an English word its
    singular (``batteries`` finds "battery" and "batteries")."""
    forms = [word]
    if word.isascii() and stem(word) != word:
        forms.append(stem(word))
    return forms


def contains_word(columns, json_columns, word: str):
    """Rows holding ``word`` (any of its forms) in any of the columns."""
    return or_(*[contains_any(columns, json_columns, form) for form in word_forms(word)])


def contains_all(columns, json_columns, words: list[str]):
    """Rows holding every one of ``words``."""
    return and_(*[contains_word(columns, json_columns, w) for w in words])


def word_counts(session, base: Select, columns, json_columns,
                words: list[str]) -> list[tuple[str, int]]:
    """How many rows of ``base`` (already filtered, no text condition) hold each word."""
    out = []
    for word in words:
        hits = base.where(contains_word(columns, json_columns, word)).order_by(None).subquery()
        out.append((word, int(session.scalar(select(func.count()).select_from(hits)) or 0)))
    return out
