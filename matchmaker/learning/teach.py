"""The database side of :mod:`.immediate`: which "not relevant" rejections bear on a query.

Used by ``MatchingService`` after the engine (and the learned reranker, if any) ranked the
candidates of one need or one patent. Costs two indexed queries and, only when a rejection
bears on the query, a few stored-vector look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..records import Match, MatchStatus, RejectionReason
from .immediate import Rejections, demote, look_alikes

NOT_RELEVANT = RejectionReason.NOT_RELEVANT.value
SIDE_OF = {"need": "needs", "patent": "patents"}
OTHER = {"need": "patent", "patent": "need"}


def _rejected(column, value: int | Sequence[int]):
    where = (column.in_(value) if isinstance(value, (list, tuple, set, frozenset))
             else column == value)
    return (select(Match.need_id, Match.patent_id)
            .where(where, Match.status == MatchStatus.REJECTED,
                   Match.rejection_reason == NOT_RELEVANT))


def rejections(direction: str, query_id: int, candidate_ids: Sequence[int]) -> Rejections:
    """The "not relevant" rejections of the query itself and of its candidates."""
    query_col = Match.need_id if direction == "need" else Match.patent_id
    cand_col = Match.patent_id if direction == "need" else Match.need_id
    pick_cand = (lambda n, p: p) if direction == "need" else (lambda n, p: n)
    pick_query = (lambda n, p: n) if direction == "need" else (lambda n, p: p)
    same = frozenset(pick_cand(n, p) for n, p in db.session.execute(_rejected(query_col,
                                                                               query_id)))
    by_candidate: dict[int, set[int]] = {}
    if candidate_ids:
        for n, p in db.session.execute(_rejected(cand_col, list(candidate_ids))):
            if pick_query(n, p) != query_id:
                by_candidate.setdefault(pick_cand(n, p), set()).add(pick_query(n, p))
    return Rejections(same, {k: frozenset(v) for k, v in by_candidate.items()})


def stored_vectors(engine):
    """``vectors(side, ids)`` from the primary dense channel's index (ids it lacks are left
    out: a record not indexed cannot be a look-alike)."""
    primary = engine.primary

    def vectors(side: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        if primary is None or not ids:
            return {}
        out = {}
        for i in ids:  # one at a time: vectors_of skips absent ids without saying which
            rows = primary.stored(side, [int(i)])
            if rows is not None and len(rows):
                out[int(i)] = rows[0]
        return out

    return vectors


def apply(engine, direction: str, query_id: int, ranked: list) -> list:
    """Demote look-alikes of "not relevant" rejections among ``ranked`` (see :func:`demote`)."""
    if not ranked or not current_app.config.get("TEACH_AT_ONCE", True):
        return ranked
    found = rejections(direction, query_id, [r.id for r in ranked])
    if not found:
        return ranked
    return demote(ranked, query_id, found, query_side=SIDE_OF[direction],
                  candidate_side=SIDE_OF[OTHER[direction]], vectors=stored_vectors(engine),
                  threshold=float(current_app.config["TEACH_SIMILARITY"]),
                  penalty=float(current_app.config["TEACH_PENALTY"]))


def demote_stored(engine, match: Match) -> int:
    """After ``match`` was rejected as not relevant, lower its look-alikes waiting in the queue.

    Pending pairs of the same need whose patent looks like the rejected one, and pending pairs
    of the same patent whose need looks like the rejected one, lose ``TEACH_PENALTY`` of their
    stored score (once per rejected pair) and say why in their explanation. The caller commits.
    Returns the number of pairs demoted.
    """
    if match.status is not MatchStatus.REJECTED or match.rejection_reason != NOT_RELEVANT:
        return 0
    config = current_app.config
    threshold, penalty = float(config["TEACH_SIMILARITY"]), float(config["TEACH_PENALTY"])
    vectors = stored_vectors(engine)
    pending = list(db.session.scalars(select(Match).where(
        Match.status == MatchStatus.CANDIDATE, Match.id != match.id,
        (Match.need_id == match.need_id) | (Match.patent_id == match.patent_id))))
    same_need = {m.patent_id: m for m in pending if m.need_id == match.need_id}
    same_patent = {m.need_id: m for m in pending if m.patent_id == match.patent_id}
    hits: list[tuple[Match, dict]] = []
    for side, group, rejected_id, like in (("patents", same_need, match.patent_id, "candidate"),
                                           ("needs", same_patent, match.need_id, "query")):
        if not group:
            continue
        rejected = vectors(side, [rejected_id])
        found = look_alikes(vectors(side, sorted(group)), rejected, threshold)
        for other_id, (_, sim) in found.items():
            hits.append((group[other_id], {"like": like, "id": rejected_id, "match": match.id,
                                           "similarity": round(sim, 4)}))
    demoted = 0
    for other, why in hits:
        before = (other.explanation or {}).get("demoted") or {}
        if before.get("match") == match.id:
            continue  # this rejection already taught this pair
        other.score = round((other.score or 0.0) - penalty, 6)
        other.explanation = {**(other.explanation or {}), "demoted": why}
        demoted += 1
    return demoted
