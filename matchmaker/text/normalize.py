"""Normalisation, language detection and sentence splitting (no third-party imports)."""

from __future__ import annotations

import re
import unicodedata

# CJK Unified Ideographs (+ extension A and compatibility ideographs): what "Chinese" means here.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
_CJK_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Sentence ends: Chinese full stops and their ASCII cousins. An ASCII period ends a sentence
# before a space or the end, and between two ideographs (Chinese papers and some exports use
# half-width punctuation: "设计方法.仿真结果表明"), so "1.5 mm" and "U.S." stay whole.
_SENTENCE_END = re.compile(rf"(?<=[。！？；!?;])|(?<=\.)(?=\s|$)|(?<=[{_CJK_CLASS}]\.)(?=[{_CJK_CLASS}])")

CJK_SHARE_ZH = 0.2


def normalize(text: str | None) -> str:
    """NFKC (full-width letters and digits to ASCII), collapse whitespace, strip."""
    if not text:
        return ""
    # NFKC also maps full-width punctuation (，；！？) to ASCII; 。 and 、 stay as they are.
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among the letters (ideographs + Latin letters) of ``text``."""
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # One Latin word weighs like about two ideographs (a Chinese word is ~2 characters).
    total = cjk + 2 * latin_words
    return cjk / total if total else 0.0


def detect_language(text: str) -> str:
    """``"zh"`` when CJK ideographs make up a fair share of the text, else ``"en"``.

    The threshold is low on purpose: Chinese technical text is full of Latin abbreviations
    (NdFeB, PLC, MPa) and is still Chinese.
    """
    share = cjk_share(text or "")
    if share >= CJK_SHARE_ZH:
        return "zh"
    return "en" if _LATIN.search(text or "") else ("zh" if share else "en")


def has_cjk(text: str) -> bool:
    """True when ``text`` contains at least one CJK ideograph."""
    return bool(_CJK.search(text or ""))


def split_sentences(text: str | None, min_chars: int = 4) -> list[str]:
    """Split on 。！？；!?; and newlines, and on "." before a space, at the end or between two
    ideographs; drop fragments shorter than ``min_chars``."""
    if not text:
        return []
    out = []
    for line in re.split(r"[\r\n]+", text):
        for part in _SENTENCE_END.split(line):
            part = part.strip()
            if len(part) >= min_chars:
                out.append(part)
    return out


def windows(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into consecutive windows of whole sentences, each at most ``max_chars``.

    A sentence longer than ``max_chars`` on its own is cut hard. Used to encode long texts
    chunk by chunk instead of letting an encoder truncate them silently.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    out: list[str] = []
    current = ""
    for sentence in split_sentences(text, min_chars=1):
        while len(sentence) > max_chars:
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        joiner = "" if has_cjk(sentence[:1]) or not current else " "
        if len(current) + len(joiner) + len(sentence) <= max_chars:
            current = f"{current}{joiner}{sentence}" if current else sentence
        else:
            out.append(current)
            current = sentence
    if current:
        out.append(current)
    return out
