"""From ORM rows to what the engine reads: prepared texts, rule facts, explanation texts.

Queries load only the columns the engine needs (a batch touches tens of thousands of rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..records import LegalStatus, Match, MatchStatus, Need, NeedStatus, Organization, Patent
from ..records.enums import NEED_LEVEL_REASONS, PATENT_LEVEL_REASONS
from ..records.patents import PatentIPC, PatentLicence
from ..text import Prepared, prepare_need, prepare_patent
from .engine import Doc
from .rules import NeedFacts, PatentFacts, title_language

IN_FORCE = (LegalStatus.VALID, LegalStatus.PENDING)
CHUNK = 500


def prepare_need_row(need: Need) -> Prepared:
    """Texts of a need record."""
    return prepare_need(need.title, need.description, need.keywords or (), need.technical_field)


def prepare_patent_row(patent: Patent) -> Prepared:
    """Texts of a patent record."""
    return prepare_patent(patent.title, patent.abstract, patent.claims, patent.ipc_codes,
                          patent.technical_field)


def need_facts(need: Need) -> NeedFacts:
    """Rule facts of a need record."""
    return NeedFacts(need.id, str(need.status), need.region_league, need.budget_min,
                     need.budget_max, str(need.cooperation_mode) if need.cooperation_mode else None,
                     blocked=bool(blocked_ids(Match.need_id, NEED_LEVEL_REASONS, [need.id])))


def patent_facts(patent: Patent) -> PatentFacts:
    """Rule facts of a patent record."""
    league = patent.owner.region_league if patent.owner else None
    return PatentFacts(patent.id, str(patent.legal_status), league, patent.asking_price,
                       tuple(str(m) for m in patent.licensing_modes), patent.owner_id,
                       patent.family_id,
                       bool(blocked_ids(Match.patent_id, PATENT_LEVEL_REASONS, [patent.id])),
                       (patent.ipc_codes or [None])[0], title_language(patent.title))


def blocked_ids(column, reasons, ids: list[int]) -> set[int]:
    """Those ``ids`` (patents or needs, by ``column``) with a pair rejected for ``reasons``.

    Reads the few pairs rejected for these reasons (index on status and reason) and keeps the
    asked ids, rather than every pair of the asked ids: SQLite's planner, which sees no value
    skew, took the id index and walked the hundreds of pairs of each of a patent's 350
    candidate needs (12 ms a match in ``flask match``). No DISTINCT in SQL either: with it
    SQLite scanned the whole table in id order instead (7 ms a call at 6,000 pairs under
    cProfile, growing with the table); the set below removes the repeats.
    """
    if not ids:
        return set()
    blocked = set(db.session.scalars(rejected_for(column, reasons)))
    return blocked.intersection(int(i) for i in ids)


def rejected_for(column, reasons):
    """The ``column`` of every pair rejected for one of ``reasons`` (repeats included)."""
    return select(column).where(Match.status == MatchStatus.REJECTED,
                                Match.rejection_reason.in_(reasons))


def offered_patents():
    """The SQL condition of a patent the engine matches: in force and its listing open."""
    return and_(Patent.legal_status.in_(IN_FORCE), Patent.listing_closed_at.is_(None))


def indexable_patents() -> Iterator[Patent]:
    """Patents in force (valid or pending) with an open listing, in id order, in chunks."""
    stmt = (select(Patent).where(offered_patents()).order_by(Patent.id)
            .options(selectinload(Patent.ipc_links)))
    yield from db.session.scalars(stmt.execution_options(yield_per=CHUNK))


def indexable_needs() -> Iterator[Need]:
    """Open needs in id order."""
    stmt = select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id)
    yield from db.session.scalars(stmt.execution_options(yield_per=CHUNK))


def is_indexable_patent(patent: Patent | None) -> bool:
    return (patent is not None and patent.legal_status in IN_FORCE
            and patent.listing_closed_at is None)


def is_indexable_need(need: Need | None) -> bool:
    return need is not None and need.status == NeedStatus.OPEN


def load_patent_facts(ids: Iterable[int]) -> dict[int, PatentFacts]:
    """Rule facts of the given patents (missing ids are absent), in two light queries."""
    ids = list(ids)
    out: dict[int, PatentFacts] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        rows = db.session.execute(
            select(Patent.id, Patent.legal_status, Organization.region_league,
                   Patent.asking_price, Patent.owner_id, Patent.family_id, Patent.title)
            .outerjoin(Organization, Organization.id == Patent.owner_id)
            .where(Patent.id.in_(part))
        )
        blocked = blocked_ids(Match.patent_id, PATENT_LEVEL_REASONS, part)
        for pid, status, league, price, owner, family, title in rows:
            out[pid] = PatentFacts(pid, str(status), league, price, (), owner, family,
                                   pid in blocked, language=title_language(title))
        for pid, code in db.session.execute(
            select(PatentIPC.patent_id, PatentIPC.code)
            .where(PatentIPC.patent_id.in_(part), PatentIPC.position == 0)
        ):
            if pid in out:
                out[pid].main_ipc = code
        modes: dict[int, list[str]] = {}
        for pid, mode in db.session.execute(
            select(PatentLicence.patent_id, PatentLicence.mode)
            .where(PatentLicence.patent_id.in_(part))
        ):
            modes.setdefault(pid, []).append(str(mode))
        for pid, found in modes.items():
            if pid in out:
                out[pid].licensing_modes = tuple(found)
    return out


def load_need_facts(ids: Iterable[int]) -> dict[int, NeedFacts]:
    """Rule facts of the given needs (missing ids are absent)."""
    ids = list(ids)
    out: dict[int, NeedFacts] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        rows = db.session.execute(
            select(Need.id, Need.status, Need.region_league, Need.budget_min, Need.budget_max,
                   Need.cooperation_mode).where(Need.id.in_(part))
        )
        blocked = blocked_ids(Match.need_id, NEED_LEVEL_REASONS, part)
        for nid, status, league, low, high, mode in rows:
            out[nid] = NeedFacts(nid, str(status), league, low, high, str(mode) if mode else None,
                                 nid in blocked)
    return out


def load_patent_docs(ids: Iterable[int]) -> dict[int, Doc]:
    """Texts of the given patents, for explanations."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Patent).where(Patent.id.in_(ids)).options(selectinload(Patent.ipc_links))
    )
    return {p.id: Doc(prepare_patent_row(p), p.abstract, p.claims, p.title) for p in rows}


def load_need_docs(ids: Iterable[int]) -> dict[int, Doc]:
    """Texts of the given needs, for explanations."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(Need).where(Need.id.in_(ids)))
    return {n.id: Doc(prepare_need_row(n)) for n in rows}


def rejected_pairs(*, need_id: int | None = None, patent_id: int | None = None
                   ) -> set[tuple[int, int]]:
    """(need_id, patent_id) pairs a broker rejected, for one need or one patent (or all)."""
    stmt = select(Match.need_id, Match.patent_id).where(Match.status == MatchStatus.REJECTED)
    if need_id is not None:
        stmt = stmt.where(Match.need_id == need_id)
    if patent_id is not None:
        stmt = stmt.where(Match.patent_id == patent_id)
    return {(n, p) for n, p in db.session.execute(stmt)}

