"""Labelled pairs from the database: the training data of the reranker, exportable as JSONL.

Every pair a broker or an enterprise acted on gets a grade (``labels.derive``); the pair's
stored engine output (channel scores, fused score, rules, rank) and the records' facts give
its features. Pairs are grouped by need: the reranker learns the need -> patents order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..records import Match, MatchHistory, MatchStatus, Need, Patent
from ..text.normalize import detect_language
from . import features as F
from .labels import Label, derive
from .reranker import Group


class Stored:
    """A stored pair shaped like the engine's ranked item (what the features read)."""

    def __init__(self, match: Match):
        explanation = match.explanation or {}
        self.id = match.patent_id
        self.score = float(match.score or 0.0)
        self.fused = float(explanation.get("fused", self.score))
        self.channels = match.channel_scores or {}
        self.rules = explanation.get("rules") or []


def decided_query():
    """Pairs with a decision: any status beyond 待审, or enterprise feedback."""
    return (select(Match)
            .where(or_(Match.status != MatchStatus.CANDIDATE,
                       Match.enterprise_feedback.is_not(None)))
            .order_by(Match.status_changed_at, Match.id))


def reached(match_ids: Iterable[int]) -> dict[int, set[str]]:
    """The statuses each pair passed through, from its history."""
    out: dict[int, set[str]] = {}
    ids = list(match_ids)
    for start in range(0, len(ids), 500):
        rows = db.session.execute(select(MatchHistory.match_id, MatchHistory.to_status)
                                  .where(MatchHistory.match_id.in_(ids[start:start + 500])))
        for match_id, status in rows:
            out.setdefault(match_id, set()).add(str(status))
    return out


def _decided(since: datetime | None, until: datetime | None):
    stmt = decided_query()
    if since is not None:
        stmt = stmt.where(Match.status_changed_at > since)
    if until is not None:
        stmt = stmt.where(Match.status_changed_at <= until)
    return stmt


def _label(pair, history: dict[int, set[str]]) -> Label:
    return derive(str(pair.status), rejection_reason=pair.rejection_reason,
                  feedback=pair.enterprise_feedback, reached=history.get(pair.id, ()))


def decision_labels(since: datetime | None = None) -> Iterator[Label]:
    """The label of every pair decided after ``since``, oldest decision first.

    What ``labelled`` grades, read from four columns: the retraining schedule counts these
    after every pipeline move, where loading each decided pair whole (its JSON columns
    decoded) cost more than the rest of the request.
    """
    stmt = _decided(since, None).with_only_columns(
        Match.id, Match.status, Match.rejection_reason, Match.enterprise_feedback)
    pairs = db.session.execute(stmt).all()
    # ``derive`` reads the statuses a pair passed through only when it was rejected
    history = reached(p.id for p in pairs if p.status == MatchStatus.REJECTED)
    for pair in pairs:
        yield _label(pair, history)


def labelled(since: datetime | None = None, until: datetime | None = None) -> Iterator[dict]:
    """One dict per decided pair (labelled or not), oldest decision first."""
    matches = list(db.session.scalars(_decided(since, until)))
    history = reached(m.id for m in matches)
    for m in matches:
        label = _label(m, history)
        yield {
            "match_id": m.id, "need_id": m.need_id, "patent_id": m.patent_id,
            "grade": label.grade, "why": label.why, "status": str(m.status),
            "rejection_reason": str(m.rejection_reason) if m.rejection_reason else None,
            "enterprise_feedback": (str(m.enterprise_feedback) if m.enterprise_feedback
                                    else None),
            "decided_at": m.status_changed_at.isoformat(timespec="seconds"),
            "score": m.score, "rank": m.rank, "channel_scores": m.channel_scores,
            "model_version": m.model_version,
        }


def export_jsonl(fh, rows: Iterable[dict]) -> int:
    """Write rows as JSON Lines; returns how many."""
    n = 0
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def _age(day: date | None, today: date) -> float | None:
    return None if day is None else (today - day).days / 365.25


class History:
    """Decisions on candidates for needs other than the one ranked: per patent (accepted,
    rejected), and the needs that accepted each one (their co-acceptance feature)."""

    def __init__(self):
        self.counts: dict[int, list[int]] = {}
        self.accepted_by: dict[int, set[int]] = {}

    def add(self, need_id: int, patent_id: int, grade: int | None) -> None:
        if grade is None:
            return
        self.counts.setdefault(patent_id, [0, 0])[0 if grade > 0 else 1] += 1
        if grade > 0:
            self.accepted_by.setdefault(patent_id, set()).add(need_id)

    def of(self, patent_id: int) -> tuple[int, int]:
        """(accepted, rejected) for other needs."""
        return tuple(self.counts.get(patent_id, (0, 0)))


def contexts(need: Need, patents: list[Patent], history: History) -> list[F.Context]:
    """Feature contexts of a need's candidate patents, in the engine's order."""
    today = date.today()
    need_text = f"{need.title} {need.description}"
    need_language = detect_language(need_text)  # once per need, not once per candidate
    together = F.co_accepted([p.id for p in patents], history.accepted_by, need.id)
    out = []
    for p, co in zip(patents, together, strict=True):
        text = f"{p.title} {p.abstract}"
        yes, no = history.of(p.id)
        out.append(F.Context(
            query_language=need_language, language=detect_language(text),
            query_field=need.technical_field, candidate_field=p.technical_field,
            ipc=tuple(p.ipc_codes), query_length=len(need_text), length=len(text),
            age_years=_age(p.filing_date, today), accepted=yes, rejected=no, co_accepted=co))
    return out


def patent_history(patent_ids: Iterable[int], *, exclude_need: int | None = None,
                   rows: Iterable[dict] | None = None) -> History:
    """Decisions on these patents for needs other than ``exclude_need``."""
    wanted = set(patent_ids)
    history = History()
    source = rows if rows is not None else labelled()
    for row in source:
        if row["patent_id"] in wanted and row["need_id"] != exclude_need:
            history.add(row["need_id"], row["patent_id"], row["grade"])
    return history


def groups(rows: list[dict], channels: list[str]) -> list[Group]:
    """Training groups (one per need) from labelled rows; features from the stored pairs."""
    by_need: dict[int, dict[int, dict]] = {}
    for row in rows:
        if row["grade"] is not None:
            by_need.setdefault(row["need_id"], {})[row["patent_id"]] = row
    out = []
    for need_id, decided in by_need.items():
        need = db.session.get(Need, need_id)
        pairs = list(db.session.scalars(
            select(Match).where(Match.need_id == need_id)
            .options(selectinload(Match.patent).selectinload(Patent.ipc_links))
            .order_by(Match.score.desc(), Match.patent_id)))
        if need is None or not pairs:
            continue
        history = patent_history([m.patent_id for m in pairs], exclude_need=need_id, rows=rows)
        matrix = F.matrix([Stored(m) for m in pairs], channels,
                          contexts(need, [m.patent for m in pairs], history))
        keep = [i for i, m in enumerate(pairs) if m.patent_id in decided]
        out.append(Group(str(need_id), matrix[keep],
                         np.array([decided[pairs[i].patent_id]["grade"] for i in keep]),
                         max(decided[pairs[i].patent_id]["decided_at"] for i in keep)))
    return out
