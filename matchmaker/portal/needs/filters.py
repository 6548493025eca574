"""List filters for needs, plus helpers the patents list shares (text search, ranked pages)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...records import Confidentiality, CooperationMode, Need, NeedStatus, User
from ...regions import LEAGUES
from ...services.access import need_filter
from ...services.keyword_search import contains_all, contains_any, query_words

if TYPE_CHECKING:
    from ...services.matching import SearchHit

log = logging.getLogger(__name__)
SEMANTIC_K = 100  # semantic search asks the engine for this many hits, then applies access
EXPORT_LIMIT = 20_000


@dataclass
class RankedPage:
    """A page over an in-memory ranked list, with the attributes the pagination macro reads."""

    all_items: list
    page: int
    per_page: int
    items: list = field(init=False)

    def __post_init__(self):
        self.page = max(1, self.page)
        start = (self.page - 1) * self.per_page
        self.items = self.all_items[start : start + self.per_page]

    total = property(lambda self: len(self.all_items))
    pages = property(lambda self: max(1, math.ceil(len(self.all_items) / self.per_page)))
    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def ranked(stmt: Select, model, hits: list) -> list[tuple[object, object]]:
    """Rows of ``stmt`` among the search ``hits`` (``SearchHit``), in the engine's rank
    order, each with its hit (fused and calibrated scores)."""
    ids = [hit.id for hit in hits]
    if not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(stmt.where(model.id.in_(ids)))}
    return [(rows[hit.id], hit) for hit in hits if hit.id in rows]


def shared_terms(candidate) -> list[str]:
    """The explanation's shared terms as plain strings (for ``|highlight``)."""
    terms = (getattr(candidate, "explanation", None) or {}).get("shared_terms") or []
    out = [t.get("term") if isinstance(t, dict) else t for t in terms]
    return [str(t) for t in out if t]


@dataclass
class NeedFilters:
    """What the needs list is filtered by; read from the query string."""

    q: str = ""
    semantic: bool = False
    status: str = ""
    field: str = ""
    region: str = ""
    mode: str = ""
    confidentiality: str = ""

    @classmethod
    def from_args(cls, args) -> NeedFilters:
        """Read known values only; anything else is ignored rather than trusted."""

        def pick(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            q=(args.get("q") or "").strip()[:200],
            semantic=args.get("semantic") == "1",
            status=pick("status", {s.value for s in NeedStatus}),
            field=(args.get("field") or "").strip()[:100],
            region=pick("region", LEAGUES),
            mode=pick("mode", {m.value for m in CooperationMode}),
            confidentiality=pick("confidentiality", {c.value for c in Confidentiality}),
        )

    @property
    def active(self) -> bool:
        """Whether any filter or search is set (the semantic switch alone filters nothing): an
        empty list then says "no match", else what to do first."""
        return any(value for name, value in vars(self).items() if name != "semantic")

    def args(self) -> dict:
        """The non-empty filters as query arguments (for pager and export links)."""
        out = {k: v for k, v in vars(self).items() if v and k != "semantic"}
        if self.semantic:
            out["semantic"] = "1"
        return out

    def query(self, user: User, *, text: bool = True) -> Select:
        """``select(Need)`` the user may see, filtered; ``text=False`` skips the keyword search
        (every word of ``q``, see ``services.keyword_search``)."""
        # Rows show their enterprise; load them in one extra query, not one per row.
        stmt = select(Need).where(need_filter(user)).options(selectinload(Need.enterprise))
        if self.status:
            stmt = stmt.where(Need.status == NeedStatus(self.status))
        if self.field:
            stmt = stmt.where(contains_any([Need.technical_field], [], self.field))
        if self.region:
            stmt = stmt.where(Need.region_league == self.region)
        if self.mode:
            stmt = stmt.where(Need.cooperation_mode == CooperationMode(self.mode))
        if self.confidentiality:
            stmt = stmt.where(Need.confidentiality == Confidentiality(self.confidentiality))
        if text and self.q:
            stmt = stmt.where(contains_all(*self.keyword_columns(), query_words(self.q)))
        return stmt.order_by(Need.created_at.desc(), Need.id.desc())

    @staticmethod
    def keyword_columns() -> tuple[list, list]:
        """(text columns, JSON list columns) that keyword search reads."""
        return [Need.title, Need.description, Need.technical_field], [Need.keywords]

    def semantic_results(self, user: User) -> list[tuple[Need, SearchHit]]:
        """Engine hits for ``q`` in rank order, restricted to what the user may see."""
        from ...services.matching import search_needs

        return ranked(self.query(user, text=False), Need, search_needs(self.q, k=SEMANTIC_K))
