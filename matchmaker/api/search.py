"""Semantic search that stores nothing: need text -> patents, patent text -> needs."""

from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..records import Need, Patent
from ..services import access, matching
from . import bp, spec, user
from .auth import read_only
from .common import json_response
from .docs_spec import responses
from .needs import need_out
from .patents import patent_out
from .schemas.misc import NeedHit, NeedHits, PatentHit, PatentHits, SearchIn

TAGS = ["search"]
OVERFETCH = 5  # hits dropped by access rules are replaced from deeper in the ranking


def _visible(model, rule, hits: list[matching.SearchHit], k: int
             ) -> list[tuple[object, matching.SearchHit]]:
    ids = [hit.id for hit in hits]
    rows = {row.id: row for row in db.session.scalars(
        select(model).where(model.id.in_(ids), rule).options(*_options(model)))}
    return [(rows[hit.id], hit) for hit in hits if hit.id in rows][:k]


def _options(model):
    return [joinedload(Need.enterprise)] if model is Need else [joinedload(Patent.owner)]


@bp.post("/search/patents")
@spec.validate(json=SearchIn, resp=responses({200: PatentHits}, 503), tags=TAGS)
@read_only
def search_patents():
    """Patents for a need's text, best first, among those you may see."""
    body: SearchIn = request.context.json
    hits = matching.search_patents(body.text, k=body.k * OVERFETCH)
    viewer = user()
    found = _visible(Patent, access.patent_filter(viewer), hits, body.k)
    return json_response(PatentHits(items=[
        PatentHit(score=float(hit.score), calibrated_score=hit.calibrated,
                  patent=patent_out(p, viewer)) for p, hit in found]))


@bp.post("/search/needs")
@spec.validate(json=SearchIn, resp=responses({200: NeedHits}, 503), tags=TAGS)
@read_only
def search_needs():
    """Needs for a patent's text, best first, among those you may see."""
    body: SearchIn = request.context.json
    hits = matching.search_needs(body.text, k=body.k * OVERFETCH)
    found = _visible(Need, access.need_filter(user()), hits, body.k)
    return json_response(NeedHits(items=[
        NeedHit(score=float(hit.score), calibrated_score=hit.calibrated, need=need_out(n))
        for n, hit in found]))
