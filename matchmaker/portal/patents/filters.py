"""List filters for patents (legal status, IPC section, dormant, open licence, region ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from ...records import (
    LegalStatus,
    LicenceMode,
    Organization,
    Patent,
    PatentIPC,
    PatentLicence,
    PatentType,
    User,
)
from ...regions import LEAGUES
from ...services.access import patent_filter
from ...services.keyword_search import contains_all, contains_any, query_words
from ..needs.filters import SEMANTIC_K, ranked

if TYPE_CHECKING:
    from ...services.matching import SearchHit

IPC_SECTIONS = "ABCDEFGH"


@dataclass
class PatentFilters:
    """What the patents list is filtered by; read from the query string."""

    q: str = ""
    semantic: bool = False
    status: str = ""
    section: str = ""
    dormant: str = ""
    open: str = ""
    kind: str = ""
    field: str = ""
    region: str = ""

    @classmethod
    def from_args(cls, args) -> PatentFilters:
        """Read known values only; anything else is ignored rather than trusted."""

        def pick(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            q=(args.get("q") or "").strip()[:200],
            semantic=args.get("semantic") == "1",
            status=pick("status", {s.value for s in LegalStatus}),
            section=pick("section", set(IPC_SECTIONS)),
            dormant=pick("dormant", {"1", "0"}),
            open=pick("open", {"1"}),
            kind=pick("kind", {t.value for t in PatentType}),
            field=(args.get("field") or "").strip()[:100],
            region=pick("region", LEAGUES),
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
        """``select(Patent)`` the user may see, filtered; ``text=False`` skips the keyword search
        (every word of ``q``, see ``services.keyword_search``)."""
        # Rows show owner, IPC codes and licences; load each in one query, not one per row.
        stmt = select(Patent).where(patent_filter(user)).options(
            selectinload(Patent.owner), selectinload(Patent.ipc_links),
            selectinload(Patent.licence_links),
        )
        if self.status:
            stmt = stmt.where(Patent.legal_status == LegalStatus(self.status))
        if self.kind:
            stmt = stmt.where(Patent.patent_type == PatentType(self.kind))
        if self.section:
            stmt = stmt.where(exists(select(PatentIPC.id).where(
                PatentIPC.patent_id == Patent.id, PatentIPC.section == self.section)))
        if self.dormant:
            stmt = stmt.where(Patent.dormant.is_(self.dormant == "1"))
        if self.open:
            stmt = stmt.where(exists(select(PatentLicence.id).where(
                PatentLicence.patent_id == Patent.id, PatentLicence.mode == LicenceMode.OPEN)))
        if self.field:
            stmt = stmt.where(contains_any([Patent.technical_field], [], self.field))
        if self.region:
            stmt = stmt.where(exists(select(Organization.id).where(
                Organization.id == Patent.owner_id, Organization.region_league == self.region)))
        if text and self.q:
            stmt = stmt.where(contains_all(*self.keyword_columns(), query_words(self.q)))
        return stmt.order_by(Patent.created_at.desc(), Patent.id.desc())

    @staticmethod
    def keyword_columns() -> tuple[list, list]:
        """(text columns, JSON list columns) that keyword search reads."""
        return [Patent.title, Patent.abstract, Patent.publication_number, Patent.applicants,
                Patent.technical_field], []

    def semantic_results(self, user: User) -> list[tuple[Patent, SearchHit]]:
        """Engine hits for ``q`` in rank order, restricted to what the user may see."""
        from ...services.matching import search_patents

        return ranked(self.query(user, text=False), Patent, search_patents(self.q, k=SEMANTIC_K))
