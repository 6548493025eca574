"""Patents: list with filters and a cursor, read, create, update."""

from __future__ import annotations

from flask import request
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from ..records import Patent, PatentIPC, Role, User
from ..services import access, records
from . import bp, listing, spec, user
from .common import check_if_match, etag_of, idempotent, json_response, limit_of, with_etag
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import OrgRef
from .schemas.records import (
    PatentIn,
    PatentList,
    PatentOut,
    PatentPatch,
    PatentQuery,
    PatentStatusIn,
)

TAGS = ["patents"]
EDITORS = (Role.ADMIN, Role.UNIVERSITY)


def patent_out(patent: Patent, viewer: User) -> PatentOut:
    owner = patent.owner
    return PatentOut(
        id=patent.id, publication_number=patent.publication_number,
        application_number=patent.application_number, patent_type=patent.patent_type,
        title=patent.title, abstract=patent.abstract, applicants=patent.applicants,
        inventors=patent.inventors, legal_status=patent.legal_status,
        filing_date=patent.filing_date, grant_date=patent.grant_date,
        fee_due_date=patent.fee_due_date, ipc_codes=patent.ipc_codes,
        licensing_modes=sorted(patent.licensing_modes),
        technical_field=patent.technical_field,
        asking_price=float(patent.asking_price) if patent.asking_price is not None else None,
        dormant=bool(patent.dormant), listing="listed" if patent.listed else "closed",
        owner=OrgRef(id=owner.id, name=owner.name) if owner else None,
        contact_note=patent.contact_note if _sees_contact(viewer, patent) else None,
        created_at=patent.created_at, updated_at=patent.updated_at,
    )


def _sees_contact(viewer: User, patent: Patent) -> bool:
    own = patent.owner_id is not None and viewer.organization_id == patent.owner_id
    return access.can_see_contacts(viewer) or own


def patent_etag(patent: Patent) -> str:
    return etag_of("patent", patent.id, patent.updated_at.isoformat())


def viewable(patent_id: int) -> Patent:
    return listing.visible(Patent, patent_id, "patent", access.can_view_patent)


def _editable(patent_id: int) -> Patent:
    return listing.editable(viewable(patent_id), "patent", access.can_edit_patent)


@bp.get("/patents")
@spec.validate(query=PatentQuery, resp=responses({200: PatentList}), tags=TAGS)
def list_patents():
    """List the patents you may see, newest first."""
    query: PatentQuery = request.context.query
    hint = listing.own_pairs_hint(user(), listing.PATENTS, listing.NEEDS)
    stmt = (select(Patent).where(access.patent_filter(user()), *hint)
            .options(joinedload(Patent.owner), selectinload(Patent.ipc_links),
                     selectinload(Patent.licence_links)))
    if query.legal_status:
        stmt = stmt.where(Patent.legal_status == query.legal_status)
    if query.dormant is not None:
        stmt = stmt.where(Patent.dormant.is_(query.dormant))
    if query.ipc_section:
        stmt = stmt.where(exists(select(PatentIPC.id).where(
            PatentIPC.patent_id == Patent.id, PatentIPC.section == query.ipc_section.upper())))
    if query.q:
        stmt = stmt.where(listing.contains(Patent.title, query.q))
    rows, cursor = listing.newest_first(stmt, Patent.id, query.cursor, limit_of(query.limit),
                                        unique=True)
    viewer = user()
    return json_response(PatentList(items=[patent_out(p, viewer) for p in rows],
                                    next_cursor=cursor))


@bp.get("/patents/<int:patent_id>")
@spec.validate(resp=responses({200: PatentOut}, 404), tags=TAGS)
def get_patent(patent_id: int):
    """Read one patent."""
    patent = viewable(patent_id)
    return with_etag(patent_out(patent, user()), patent_etag(patent))


@bp.post("/patents")
@spec.validate(json=PatentIn, resp=responses({201: PatentOut}), tags=TAGS)
@idempotent
def create_patent():
    """List a patent: universities for their own organization, admins for any."""
    body: PatentIn = request.context.json
    actor: User = user()
    if actor.role not in EDITORS or (actor.role is Role.UNIVERSITY and actor.organization is None):
        raise ApiProblem(403, "Only universities and administrators list patents.")
    values = body.model_dump(exclude={"owner_id"})
    if actor.role is Role.ADMIN:
        values["owner"] = listing.organization_or_422(body.owner_id, "owner_id", "organization")
    else:
        if body.owner_id not in (None, actor.organization_id):
            raise ApiProblem(403, "Universities list their own patents only.")
        values["owner"] = actor.organization
    saved = records.create_patent(values, actor=actor)
    patent = saved.record
    return with_etag(patent_out(patent, actor), patent_etag(patent), status=201,
                     headers={"Location": f"/api/v1/patents/{patent.id}"})


def _current_values(patent: Patent) -> dict:
    keys = ("publication_number", "application_number", "patent_type", "title", "abstract",
            "claims", "applicants", "inventors", "legal_status", "filing_date", "grant_date",
            "fee_due_date", "technical_field", "asking_price", "dormant", "contact_note")
    values = {key: getattr(patent, key) for key in keys}
    values.update(ipc_codes=patent.ipc_codes, licensing_modes=patent.licensing_modes,
                  owner=patent.owner)
    return values


@bp.patch("/patents/<int:patent_id>")
@spec.validate(json=PatentPatch, resp=responses({200: PatentOut}, 404, 412), tags=TAGS)
def update_patent(patent_id: int):
    """Change some fields of a patent; send the ETag you read as If-Match."""
    patent = _editable(patent_id)
    check_if_match(patent_etag(patent))
    values = _current_values(patent)
    values.update(request.context.json.model_dump(exclude_unset=True))
    records.update_patent(patent, values, actor=user())
    return with_etag(patent_out(patent, user()), patent_etag(patent))


@bp.post("/patents/<int:patent_id>/status")
@spec.validate(json=PatentStatusIn, resp=responses({200: PatentOut}, 404, 412), tags=TAGS)
@idempotent
def set_patent_status(patent_id: int):
    """Close a patent's listing (it leaves matching, the showcase and the queue) or list it
    again; send the ETag you read as If-Match."""
    patent = _editable(patent_id)
    check_if_match(patent_etag(patent))
    records.set_patent_listing(patent, listed=request.context.json.status == "listed",
                               actor=user())
    return with_etag(patent_out(patent, user()), patent_etag(patent))
