"""The search behind the patents and needs lists: keywords first, meaning when no row has them.

- Keyword search (the default): every word of the query must occur (``services.keyword_search``);
  the page says how many rows hold all of them and how many hold each word.
- Semantic search (ticked, or automatically when no row holds every word): the engine's hits in
  rank order, restricted to what the user may see, with their count and calibrated 0-100
  scores. Asked for, every hit is listed; as the automatic fallback only the strong ones
  (``STRONG_MATCH_MIN``, as for alerts), so a query of nonsense ("zzqqxxyy") is not answered
  with a hundred records "close in meaning": the page offers the weaker ones behind a link.

Shared by the ``patents`` and ``needs`` blueprints (which never import each other).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import current_app, flash
from flask_babel import gettext as _

from ..extensions import db
from ..services.keyword_search import query_words, word_counts
from .needs.filters import RankedPage
from .paging import paginate

log = logging.getLogger(__name__)
_WORDY = re.compile(r"\w")  # a query of punctuation only ("%") has no meaning to look for


@dataclass
class SearchInfo:
    """What the list page says about the search: mode, words, counts, cut-off."""

    mode: str = "list"  # "list" (no query) | "keyword" | "semantic" | "fallback"
    words: list[str] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0
    cutoff: float | None = None
    hidden: int = 0  # hits below the cut-off (the fallback lists strong hits only)

    @property
    def ranked(self) -> bool:
        """The rows are engine hits with a similarity (semantic or fallback)."""
        return self.mode in ("semantic", "fallback")

    @property
    def marks(self) -> list[str]:
        """The words to highlight in the rows (keyword modes only)."""
        return self.words if self.mode == "keyword" else []


def calibrated_cutoff(mode: str) -> int | None:
    """The lowest calibrated score a semantic hit needs to be listed: the strong-match
    threshold for the automatic fallback, none when semantic search was asked for.

    Measured on the demo with the real encoders: nonsense and off-topic queries get fallback
    hits of 9-25, relevant first hits 25-97; the fused score (relative to the query) gave a
    nonsense query's first hit 0.96. Short queries are not what the calibration was fitted
    on (docs/matching.md), so only the strong band is trusted to stand in for keywords."""
    return current_app.config["STRONG_MATCH_MIN"] if mode == "fallback" else None


def results(filters, user, page_no: int):
    """(page of (row, hit or None), SearchInfo) for a ``PatentFilters``/``NeedFilters``;
    a hit is the engine's ``SearchHit`` (``score``, ``calibrated``)."""
    per_page = current_app.config["PAGE_SIZE"]
    info = SearchInfo()
    if filters.q and not filters.semantic:
        info.mode, info.words = "keyword", query_words(filters.q)
        page = paginate(filters.query(user), page=page_no, per_page=per_page)
        info.total = page.total or 0
        columns, json_columns = filters.keyword_columns()
        info.counts = word_counts(db.session, filters.query(user, text=False), columns,
                                  json_columns, info.words) if len(info.words) > 1 else []
        if info.total or not _WORDY.search(filters.q):
            page.items = [(row, None) for row in page.items]
            return page, info
        info.mode = "fallback"  # no row has every word: look for the meaning instead
    if filters.q:
        try:
            hits = filters.semantic_results(user)
        except Exception:  # the keyword search still works without the engine
            log.exception("semantic search failed")
            if info.mode != "fallback":  # asked for: say why it is not there
                flash(_("Semantic search is unavailable now; showing text search results."),
                      "warning")
            filters.semantic = False
            info.mode = "keyword"
        else:
            info.mode = "fallback" if info.mode == "fallback" else "semantic"
            info.cutoff = calibrated_cutoff(info.mode)
            if info.cutoff is not None:
                kept = [(row, hit) for row, hit in hits
                        if hit.calibrated is None or hit.calibrated >= info.cutoff]
                info.hidden, hits = len(hits) - len(kept), kept
            info.total = len(hits)
            return RankedPage(hits, page_no, per_page), info
        info.words = query_words(filters.q)
    page = paginate(filters.query(user), page=page_no, per_page=per_page)
    info.total = page.total or 0
    page.items = [(row, None) for row in page.items]
    return page, info
