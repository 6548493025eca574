"""Which channels can see a (query language, document language) pair, and documents' languages.

A channel's weight depends on the language pair (``FusionConfig.weight``): an English-only
channel compares English with English, BM25 shares no tokens across scripts, the multilingual
channel carries mixed pairs. Fusion needs each candidate's language; the cheapest correct
source is the index of a one-language channel (all-MiniLM holds exactly the English
documents), read once per index version (``DenseChannel.holds``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .fusion import FusionConfig

LANGUAGES = ("zh", "en")  # the languages documents are written in


def pair_weights(fusion: FusionConfig, language: str, channel, kind: str) -> dict[str, float]:
    """The channel's weight for documents in each language other than the query's ``language``
    (0 where it cannot embed or index both languages)."""
    out = {}
    for other in LANGUAGES:
        if other == language:
            continue
        sees = channel.accepts(language) and channel.accepts(other)
        out[other] = fusion.weight(language, channel.name, kind, other) if sees else 0.0
    return out


def languages_from_channels(dense: Sequence, side: str, ids: Sequence[int]) -> dict[int, str]:
    """Document languages read off a dense channel that indexes one language only: an id it
    holds is in that language, any other id in the other language of ``LANGUAGES``. Without
    such a channel nothing is known ({}: every pair counts as same-language)."""
    for channel in dense:
        only = channel.languages
        if only is None or len(only) != 1:
            continue
        (language,) = only
        others = [x for x in LANGUAGES if x != language]
        if len(others) != 1:
            continue
        held = channel.holds(side, ids)
        return {int(i): language if h else others[0] for i, h in zip(ids, held, strict=True)}
    return {}
