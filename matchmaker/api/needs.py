"""Needs: list with filters and a cursor, read, create, update, close or reopen."""

from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..records import Need, NeedStatus, Role, User
from ..services import access, records
from . import bp, listing, spec, user
from .common import check_if_match, etag_of, idempotent, json_response, limit_of, with_etag
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import OrgRef
from .schemas.records import NeedIn, NeedList, NeedOut, NeedPatch, NeedQuery, NeedStatusIn

TAGS = ["needs"]


def _float(value):
    return float(value) if value is not None else None


def need_out(need: Need) -> NeedOut:
    """The need as the caller may see it: who posted a brokers-only need (its enterprise,
    reference and county) only where the portal shows it (``access.shows_need_owner``)."""
    owner = access.shows_need_owner(user(), need)
    return NeedOut(
        id=need.id, external_ref=need.external_ref if owner else None, title=need.title,
        description=need.description, technical_field=need.technical_field,
        keywords=list(need.keywords or []), budget_min=_float(need.budget_min),
        budget_max=_float(need.budget_max), cooperation_mode=need.cooperation_mode,
        deadline=need.deadline, region_league=need.region_league,
        region_county=need.region_county if owner else None, status=need.status,
        confidentiality=need.confidentiality,
        enterprise=OrgRef(id=need.enterprise.id, name=need.enterprise.name) if owner else None,
        broker_id=need.broker_id, created_at=need.created_at, updated_at=need.updated_at,
    )


def need_etag(need: Need) -> str:
    return etag_of("need", need.id, need.updated_at.isoformat(), need.status.value)


def viewable(need_id: int) -> Need:
    """The need if the caller may see it; 404 otherwise (its existence is not revealed)."""
    return listing.visible(Need, need_id, "need", access.can_view_need)


def _editable(need_id: int) -> Need:
    return listing.editable(viewable(need_id), "need", access.can_edit_need)


@bp.get("/needs")
@spec.validate(query=NeedQuery, resp=responses({200: NeedList}), tags=TAGS)
def list_needs():
    """List the needs you may see, newest first."""
    query: NeedQuery = request.context.query
    hint = listing.own_pairs_hint(user(), listing.NEEDS, listing.PATENTS)
    stmt = (select(Need).where(access.need_filter(user()), *hint)
            .options(joinedload(Need.enterprise)))
    if query.status:
        stmt = stmt.where(Need.status == query.status)
    if query.region:
        stmt = stmt.where(Need.region_league == query.region)
    if query.field:
        stmt = stmt.where(listing.contains(Need.technical_field, query.field))
    if query.q:
        stmt = stmt.where(listing.contains(Need.title, query.q))
    rows, cursor = listing.newest_first(stmt, Need.id, query.cursor, limit_of(query.limit))
    return json_response(NeedList(items=[need_out(n) for n in rows], next_cursor=cursor))


@bp.get("/needs/<int:need_id>")
@spec.validate(resp=responses({200: NeedOut}, 404), tags=TAGS)
def get_need(need_id: int):
    """Read one need (ETag for conditional requests and If-Match)."""
    need = viewable(need_id)
    return with_etag(need_out(need), need_etag(need))


@bp.post("/needs")
@spec.validate(json=NeedIn, resp=responses({201: NeedOut}), tags=TAGS)
@idempotent
def create_need():
    """Post a need: enterprises for themselves, admins for any enterprise."""
    body: NeedIn = request.context.json
    actor: User = user()
    if actor.role not in (Role.ADMIN, Role.ENTERPRISE) or (
            actor.role is Role.ENTERPRISE and actor.organization is None):
        raise ApiProblem(403, "Only enterprises and administrators post needs.")
    values = body.model_dump(exclude={"enterprise_id", "broker_id"})
    if actor.role is Role.ADMIN:
        values["enterprise"] = listing.organization_or_422(body.enterprise_id,
                                                          "enterprise_id", "enterprise")
        if body.broker_id is not None:
            values["broker"] = db.session.get(User, body.broker_id)
            if values["broker"] is None:
                raise ApiProblem(422, "No such broker.",
                                 errors=[{"field": "broker_id", "message": "unknown"}])
    else:
        if body.enterprise_id not in (None, actor.organization_id) or body.broker_id:
            raise ApiProblem(403, "Enterprises post needs for themselves only.")
        values["enterprise"] = actor.organization
    saved = records.create_need(values, actor=actor)
    need = saved.record
    return with_etag(need_out(need), need_etag(need), status=201,
                     headers={"Location": f"/api/v1/needs/{need.id}"})


def _current_values(need: Need) -> dict:
    return {
        "external_ref": need.external_ref, "title": need.title,
        "description": need.description, "technical_field": need.technical_field,
        "keywords": list(need.keywords or []), "budget_min": need.budget_min,
        "budget_max": need.budget_max, "cooperation_mode": need.cooperation_mode,
        "deadline": need.deadline, "region_league": need.region_league,
        "region_county": need.region_county, "confidentiality": need.confidentiality,
        "enterprise": need.enterprise,
    }


@bp.patch("/needs/<int:need_id>")
@spec.validate(json=NeedPatch, resp=responses({200: NeedOut}, 404, 412), tags=TAGS)
def update_need(need_id: int):
    """Change some fields of a need; send the ETag you read as If-Match."""
    need = _editable(need_id)
    check_if_match(need_etag(need))
    patch: NeedPatch = request.context.json
    values = _current_values(need)
    values.update(patch.model_dump(exclude_unset=True))
    records.update_need(need, values, actor=user())
    return with_etag(need_out(need), need_etag(need))


@bp.post("/needs/<int:need_id>/status")
@spec.validate(json=NeedStatusIn, resp=responses({200: NeedOut}, 404, 409, 412), tags=TAGS)
@idempotent
def set_need_status(need_id: int):
    """Close a need (it leaves matching) or open it again."""
    need = _editable(need_id)
    check_if_match(need_etag(need))
    wanted = NeedStatus(request.context.json.status)
    if wanted is NeedStatus.OPEN and need.status is NeedStatus.MATCHED:
        raise ApiProblem(409, "A matched need is reopened through its pair's pipeline.")
    records.set_need_status(need, wanted, actor=user())
    return with_etag(need_out(need), need_etag(need))
