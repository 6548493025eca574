"""Which script a text is in: the one detector the language walk and the CLI test share.

A Chinese screen must not show English words, an English one no Chinese characters; what the
user typed (record titles, file names, headers of an imported file) is left out by the caller,
as a corpus of user text.
"""

from __future__ import annotations

import re

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# An English word: three letters or more, not all capitals (IPC, CSV, API are codes).
LATIN = re.compile(r"\b(?![A-Z]+\b)[A-Za-z][A-Za-z'-]{2,}\b")

#: Product names that stay as they are in both languages, and the engine's channel names
#: (identifiers; how the pair page names them belongs to the explanation partial).
NAMES = {"Webhook", "Excel", "OpenAPI", "Matchmaker", "WeChat", "Chromium", "Celery",
         "use-multilingual", "fake", "bm25"}


def other_script(text: str, locale: str, corpus: str = "", names: set[str] = NAMES) -> list[str]:
    """Runs of the script that ``locale`` does not use, less user text and product names."""
    pattern = LATIN if locale.startswith("zh") else HAN
    return [run for run in pattern.findall(text) if run not in corpus and run not in names]
