"""Text preparation: normalisation, language detection, segmentation, field selection."""

from .fields import Prepared, dense_chunks, first_claim, prepare_need, prepare_patent
from .normalize import detect_language, has_cjk, normalize, split_sentences, windows
from .segment import char_bigrams, content_words, lexical_terms, stopwords, words
from .terms import key_terms, key_terms_among

__all__ = [
    "Prepared",
    "char_bigrams",
    "content_words",
    "dense_chunks",
    "detect_language",
    "first_claim",
    "has_cjk",
    "key_terms",
    "key_terms_among",
    "lexical_terms",
    "normalize",
    "prepare_need",
    "prepare_patent",
    "split_sentences",
    "stopwords",
    "windows",
    "words",
]
