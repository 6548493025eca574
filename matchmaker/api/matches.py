"""Matches: the review queue's list and filters, a pair with its explanation, pipeline moves."""

from __future__ import annotations

from datetime import datetime

from flask import request
from sqlalchemy import and_, or_, select

from ..extensions import db
from ..records import Match, MatchStatus, Need, Patent, Role
from ..services import access, pipeline, queue, scores
from . import bp, spec, user
from .common import (
    check_if_match,
    decode_cursor,
    encode_cursor,
    etag_of,
    get_or_404,
    idempotent,
    json_response,
    limit_of,
    with_etag,
)
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.matches import HistoryOut, MatchDetail, MatchList, MatchOut, MatchQuery, MoveIn

TAGS = ["matches"]


def match_out(match: Match) -> dict:
    """The pair as the caller may see it: enterprises and universities get no scores, rank or
    band (``access.is_party``: how the engine ranked a pair is the brokers' working tool)."""
    engine = not access.is_party(user())
    return dict(
        id=match.id, need_id=match.need_id, need_title=match.need.title,
        patent_id=match.patent_id, patent_title=match.patent.title,
        publication_number=match.patent.publication_number,
        score=float(match.score) if engine else None, rank=match.rank if engine else None,
        status=match.status, broker_id=match.broker_id,
        status_changed_at=match.status_changed_at, rejection_reason=match.rejection_reason,
        calibrated_score=match.calibrated if engine else None,
        band=scores.band(match.calibrated) if engine else None,
    )


def match_etag(match: Match) -> str:
    return etag_of("match", match.id, match.status.value, match.status_changed_at.isoformat(),
                   match.broker_id)


def match_detail(match: Match) -> MatchDetail:
    workable = access.can_work_match(db.session, user(), match)
    return MatchDetail(
        **match_out(match),
        channel_scores=(match.channel_scores or {}) if not access.is_party(user()) else {},
        explanation=_explanation(match),
        rejection_note=match.rejection_note,
        contract_amount=float(match.contract_amount) if match.contract_amount is not None
        else None,
        contract_number=match.contract_number,
        allowed_moves=pipeline.allowed_moves(match) if workable else [],
        history=[HistoryOut(at=h.at, from_status=h.from_status, to_status=h.to_status,
                            reason=h.reason) for h in match.history],
    )


def _explanation(match: Match) -> dict:
    """The engine's explanation; for enterprises and universities only its plain parts (the
    shared terms and closest sentences), without scores, shares or rule weights."""
    explanation = match.explanation or {}
    if not access.is_party(user()):
        return explanation
    sentences = [{k: v for k, v in s.items() if k != "score"} if isinstance(s, dict) else s
                 for s in explanation.get("closest_sentences") or []]
    return {"shared_terms": explanation.get("shared_terms") or [],
            "closest_sentences": sentences}


def viewable(match_id: int) -> Match:
    match = get_or_404(Match, match_id, "match")
    if not access.can_view_match(db.session, user(), match):
        raise ApiProblem(404, "No such match.")
    return match


def _filters(query: MatchQuery) -> queue.QueueFilters:
    broker = query.broker
    return queue.QueueFilters(
        statuses=tuple(query.status) if query.status else (MatchStatus.CANDIDATE,),
        score_min=query.score_min, score_max=query.score_max,
        calibrated_min=query.calibrated_min, calibrated_max=query.calibrated_max,
        ipc_section=query.ipc_section,
        field=query.field, region=query.region,
        broker=int(broker) if broker and broker.isdigit() else broker,
        sort=query.sort, weak=query.weak,
    )


def _after(query: MatchQuery) -> list:
    """Keyset conditions continuing after the cursor, in the queue's sort order: segments read
    in turn until the page is full (``[None]``: no cursor, from the start)."""
    if query.sort == "age":
        after = decode_cursor(query.cursor, ("t", "id"))
        if not after:
            return [None]
        try:
            at = datetime.fromisoformat(after["t"])
        except (TypeError, ValueError) as exc:
            raise ApiProblem(400, "The cursor is not valid.") from exc
        return [or_(Match.status_changed_at > at,
                    and_(Match.status_changed_at == at, Match.id > int(after["id"])))]
    # the queue's order (services/queue._by_score): calibrated score descending with the pairs
    # that have none last, then the fused score descending, then the id
    after = decode_cursor(query.cursor, ("c", "s", "id"))
    if not after:
        return [Match.calibrated.is_not(None), Match.calibrated.is_(None)]
    try:
        calibrated = None if after["c"] is None else int(after["c"])
        score, last_id = float(after["s"]), int(after["id"])
    except (TypeError, ValueError) as exc:
        raise ApiProblem(400, "The cursor is not valid.") from exc
    same_score_after = or_(Match.score < score, and_(Match.score == score, Match.id > last_id))
    if calibrated is None:
        return [and_(Match.calibrated.is_(None), same_score_after)]
    # Two segments read one after the other: the rest of the calibrated pairs (a range on the
    # (status, calibrated) index, so the page starts at the cursor instead of walking every
    # pair before it), then the pairs without a calibrated score. One OR over both would
    # make the database scan and sort the whole queue for every page.
    return [and_(Match.calibrated.is_not(None), Match.calibrated <= calibrated,
                 or_(Match.calibrated < calibrated, same_score_after)),
            Match.calibrated.is_(None)]


@bp.get("/matches")
@spec.validate(query=MatchQuery, resp=responses({200: MatchList}), tags=TAGS)
def list_matches():
    """List pairs as the review queue does (same filters, same access rules)."""
    query: MatchQuery = request.context.query
    limit = limit_of(query.limit)
    stmt = queue.queue_select(user(), _filters(query))
    if query.sort != "age":
        # the same order as the queue's, written so that PostgreSQL reads it off the
        # (status, calibrated) index backwards: each segment holds calibrated scores or none,
        # so "nulls last" is implied by the segments rather than asked of the index
        stmt = stmt.order_by(None).order_by(Match.calibrated.desc(), Match.score.desc(),
                                            Match.id.asc())
    rows: list[Match] = []
    for condition in _after(query):
        segment = stmt if condition is None else stmt.where(condition)
        rows += queue._fetch(segment, 0, limit + 1 - len(rows))
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more:
        last = rows[-1]
        cursor = encode_cursor({"t": last.status_changed_at.isoformat(), "id": last.id}
                               if query.sort == "age" else
                               {"c": last.calibrated, "s": last.score, "id": last.id})
    return json_response(MatchList(items=[MatchOut(**match_out(m)) for m in rows],
                                   next_cursor=cursor))


@bp.get("/matches/<int:match_id>")
@spec.validate(resp=responses({200: MatchDetail}, 404), tags=TAGS)
def get_match(match_id: int):
    """Read one pair with its explanation, history and the moves you may make."""
    match = viewable(match_id)
    return with_etag(match_detail(match), match_etag(match))


@bp.post("/matches/<int:match_id>/moves")
@spec.validate(json=MoveIn, resp=responses({200: MatchDetail}, 404, 409, 412), tags=TAGS)
@idempotent
def move_match(match_id: int):
    """Move a pair along the pipeline with a reason; send the ETag you read as If-Match."""
    match = viewable(match_id)
    actor = user()
    if actor.role not in (Role.ADMIN, Role.BROKER) or not access.can_work_match(
            db.session, actor, match):
        raise ApiProblem(403, "You may not work on this pair.")
    check_if_match(match_etag(match))
    body: MoveIn = request.context.json
    pipeline.move(match, body.to, actor, reason=body.reason,
                  rejection_reason=body.rejection_reason, note=body.note,
                  contract_amount=body.contract_amount, contract_number=body.contract_number)
    match = db.session.scalar(select(Match).join(Need).join(Patent).where(Match.id == match_id))
    return with_etag(match_detail(match), match_etag(match))
