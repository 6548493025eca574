"""Storing ranked candidates as Match rows, for the nightly batch and for one record at a time.

Policy per (need, patent) pair:
- new pair: inserted as a candidate (待审), ``source`` "batch", with a history entry;
- existing candidate: score, rank, channel scores and explanation refresh; status, broker,
  notes and history are kept;
- any other status (recommended ... registered, rejected): untouched.
Re-running gives the same rows (idempotent). ``rank`` is the rank in the list the pair came
from: the need's list, or for pairs found only from a dormant patent, the patent's list
(``explanation["direction"]`` says which).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import islice

from sqlalchemy import select

from ..extensions import begin_write, db
from ..records import Match, MatchHistory, MatchStatus, utcnow
from .engine import Ranked
from .rules import flag_values

log = logging.getLogger(__name__)

SOURCE = "batch"


def store(pairs: Iterable[tuple[int, int, Ranked]], direction: str, *,
          skip: set[tuple[int, int]] | None = None) -> tuple[int, int]:
    """Write (need_id, patent_id, ranked) pairs; returns (created, refreshed).

    ``skip`` holds pairs already written in this run (from the other direction); written pairs
    are added to it. The caller commits.
    """
    pairs = [p for p in pairs if skip is None or (p[0], p[1]) not in skip]
    if not pairs:
        return 0, 0
    keys = {(n, p) for n, p, _ in pairs}
    # The rows of these pairs only: by both ids (at most needs x patents rows, a handful), not
    # every row of the needs (a need with a thousand pairs would load and parse them all).
    existing = {
        (m.need_id, m.patent_id): m
        for m in db.session.scalars(select(Match).where(
            Match.need_id.in_({n for n, _ in keys}), Match.patent_id.in_({p for _, p in keys})))
        if (m.need_id, m.patent_id) in keys
    }
    created = refreshed = 0
    for need_id, patent_id, ranked in pairs:
        explanation = dict(ranked.explanation, direction=direction)
        match = existing.get((need_id, patent_id))
        if match is None:
            match = Match(need_id=need_id, patent_id=patent_id, status=MatchStatus.CANDIDATE,
                          source=SOURCE, status_changed_at=utcnow())
            match.history.append(MatchHistory(from_status=None, to_status=MatchStatus.CANDIDATE,
                                              reason=f"matching engine ({direction})"))
            db.session.add(match)
            created += 1
        elif match.status is MatchStatus.CANDIDATE:
            refreshed += 1
        else:
            continue  # a broker has worked this pair: the engine no longer touches it
        match.score = ranked.score
        match.rank = ranked.rank
        match.channel_scores = ranked.channels
        match.explanation = explanation
        match.model_version = explanation.get("reranker")
        match.calibrated = ranked.calibrated
        values = flag_values(ranked.rules)
        match.flag_region, match.flag_open_licence = values["region"], values["open_licence"]
        match.flag_budget, match.flag_mode = values["budget"], values["mode"]
        if skip is not None:
            skip.add((need_id, patent_id))
    return created, refreshed


def records(need_ids: list[int], patent_ids: list[int]) -> list[tuple[int, str]]:
    """The batch's order: every need, then every patent, as (record id, direction)."""
    return [(nid, "need") for nid in need_ids] + [(pid, "patent") for pid in patent_ids]


def run(todo: list[tuple[int, str]], rankings: Iterable[list[Ranked]], *,
        progress: bool = False, commit_every: int = 50) -> dict:
    """Store each record's ranked list (``rankings``: one per record of ``todo``, in its order,
    computed as they are consumed), ``commit_every`` records a transaction; returns counts.

    Each chunk's lists are computed first, then stored in a writer's transaction of its own
    (``begin_write``). On SQLite the write lock is then held while rows are written
    (milliseconds), not while 50 records are ranked (seconds: every save in the portal waited
    for it), and no other writer's commit can make a chunk's reads stale: a need posted during
    the batch made the chunk's first write fail ("database is locked") and the job ran the whole
    batch again (bench_need_during_import.py --during batch, three needs posted: 131 s from the
    batch's start to its end, with a retry; 45.7 s in one attempt now).

    Stored in ``todo``'s order whoever ranked them, so the rows do not depend on how many
    processes ranked: a pair both directions found keeps the need's list entry."""
    written: set[tuple[int, int]] = set()
    totals = {"needs": sum(1 for _, d in todo if d == "need"),
              "patents": sum(1 for _, d in todo if d == "patent"), "created": 0, "refreshed": 0}
    steps = zip(todo, rankings, strict=True)
    if progress:
        from tqdm import tqdm  # stderr progress bar for the CLI

        steps = tqdm(steps, total=len(todo), desc="matching", unit="record")
    steps = iter(steps)
    while chunk := list(islice(steps, max(1, commit_every))):
        begin_write()
        for (record_id, direction), ranked in chunk:
            if direction == "need":
                pairs = [(record_id, r.id, r) for r in ranked]
            else:
                pairs = [(r.id, record_id, r) for r in ranked]
            created, refreshed = store(pairs, direction, skip=written)
            totals["created"] += created
            totals["refreshed"] += refreshed
        db.session.commit()
    return totals
