"""Features of one (query, candidate) pair for the learned reranker; pure, no database.

Per pair (the feature list is stored in each model's manifest, so a model only ever sees the
features it was trained on):

- each channel's absolute score, its rank, whether it listed the candidate at all, and the gap
  to that channel's best score in this list (absolute evidence beside per-query position);
- the fused score, its position in the engine's list and its gap to the first candidate;
- the business rules: their total and one flag per rule;
- the language pair (same language, query English, candidate English);
- IPC overlap at section / subclass / group with the IPC codes of the head of the list
  (needs carry no IPC codes, so agreement with the engine's best candidates stands in);
- technical field agreement, family size (1 until families exist, issue 9), text lengths,
  record age in years;
- the candidate's decision history from other queries (accepted / rejected as not relevant),
  also weighted by how alike those queries are, which carries a broker's "not relevant" to
  near-identical queries at once; as counts, as a smoothed acceptance share and as the amount
  of evidence (the share keeps its meaning while decisions accumulate, the counts do not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

RULES = ("same_region", "home_region", "inner_mongolia", "open_licence", "within_budget",
         "over_budget", "mode_compatible")
HEAD = 3  # candidates whose IPC codes stand for the query's classification
CO_HEAD = 10  # the head of the list a candidate's co-acceptance is counted against
MISSING_RANK = 1000.0  # a channel that did not list the candidate


@dataclass
class Context:
    """What the features need beyond the engine's candidate; every field is optional."""

    query_language: str = "zh"
    language: str = "zh"
    query_field: str | None = None
    candidate_field: str | None = None
    ipc: Sequence[str] = ()
    family_size: int = 1
    query_length: int = 0
    length: int = 0
    age_years: float | None = None
    accepted: int = 0  # decisions on this candidate for other queries
    rejected: int = 0
    similar_accepted: float = 0.0  # the same, weighted by how alike the other query is
    similar_rejected: float = 0.0
    co_accepted: float = 0.0  # other queries that accepted it together with the list's head


def names(channels: Sequence[str]) -> list[str]:
    """Feature names, in column order, for a model over ``channels``."""
    out = []
    for channel in channels:
        out += [f"{channel}:score", f"{channel}:rank", f"{channel}:listed", f"{channel}:gap"]
    out += ["fused", "fused_rank", "fused_gap", "rules_total", *(f"rule:{r}" for r in RULES),
            "same_language", "query_en", "candidate_en", "ipc_section", "ipc_subclass",
            "ipc_group", "field_agree", "family_size", "log_query_length", "log_length",
            "age_years", "accepted", "rejected", "accept_rate", "similar_accepted",
            "similar_rejected", "similar_accept_rate", "similar_evidence", "co_accepted"]
    return out


def select(rows: np.ndarray, channels: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """The columns of ``rows`` (built by ``matrix`` over ``channels``) a model was trained on,
    in its order; raises KeyError when the model needs a feature this version cannot build."""
    have = {name: i for i, name in enumerate(names(channels))}
    return rows[:, [have[name] for name in wanted]]


RISING = ("fused", "rules_total", "similar_accepted", "accepted", "accept_rate",
          "similar_accept_rate", "co_accepted")
FALLING = ("fused_rank", "fused_gap", "similar_rejected", "rejected")


def direction(name: str) -> int:
    """How a feature may move the model's score: +1 only up, -1 only down, 0 either way.

    Decisions come only for the candidates brokers were shown (the engine's top), so an
    unconstrained model learns quirks of that slice and misplaces the deeper candidates it
    never saw judged (measured on zh_csl_discipline: -0.04 nDCG@10 unconstrained, +0.017
    constrained). More evidence from a channel or from brokers may never count against a pair.
    """
    if name.endswith((":score", ":listed")) or name in RISING:
        return 1
    if name.endswith((":rank", ":gap")) or name in FALLING:
        return -1
    return 0


def co_accepted(ids: Sequence, accepted_by: Mapping, query, head: int = CO_HEAD) -> list[float]:
    """Per candidate: how many other queries accepted it together with each of the list's
    first ``head`` candidates, averaged over them.

    Brokers who recommend two patents for one need say that the two are alike for that
    purpose; a candidate accepted together with the engine's best candidates for earlier needs
    is likely to serve this one too. ``accepted_by`` maps a candidate to the queries (needs)
    that accepted it; ``query``'s own decisions never count.
    """
    sets = [accepted_by.get(i, set()) - {query} for i in ids]
    top = sets[:head]
    if not top:
        return [0.0] * len(ids)
    return [sum(len(mine & other) for j, other in enumerate(top) if j != n) / len(top)
            for n, mine in enumerate(sets)]


def ipc_parts(code: str) -> tuple[str, str, str]:
    """Section, subclass and main group of an IPC code ("H01F 1/057" -> H, H01F, H01F1)."""
    code = code.replace(" ", "").upper()
    return code[:1], code[:4], code.split("/")[0]


def _ipc_overlap(own: Sequence[str], head: list[Sequence[str]]) -> tuple[float, float, float]:
    if not own or not head:
        return 0.0, 0.0, 0.0
    mine = [set(p) for p in zip(*(ipc_parts(c) for c in own), strict=True)]
    shares = []
    for level in range(3):
        hits = sum(1 for codes in head if mine[level] & {ipc_parts(c)[level] for c in codes})
        shares.append(hits / len(head))
    return shares[0], shares[1], shares[2]


def matrix(candidates: Sequence, channels: Sequence[str],
           contexts: Sequence[Context] | None = None) -> np.ndarray:
    """Feature rows for the candidates of one query, in the engine's order.

    ``candidates`` are the engine's ranked items (anything with ``channels``, ``fused`` or
    ``score``, and ``rules``); ``contexts`` the matching extra facts, or None.
    """
    n = len(candidates)
    contexts = list(contexts) if contexts is not None else [Context() for _ in range(n)]
    best: dict[str, float] = {}
    for item in candidates:
        for name in channels:
            score = (item.channels.get(name) or {}).get("score")
            if score is not None:
                best[name] = max(best.get(name, -math.inf), float(score))
    fused = [float(getattr(item, "fused", item.score)) for item in candidates]
    top = max(fused, default=0.0)
    head_ipc = [c.ipc for c in contexts[:HEAD] if c.ipc]
    rows = np.zeros((n, len(names(channels))), dtype=np.float64)
    for i, (item, ctx) in enumerate(zip(candidates, contexts, strict=True)):
        row: list[float] = []
        for name in channels:
            entry = item.channels.get(name) or {}
            score, rank = entry.get("score"), entry.get("rank")
            listed = score is not None
            row += [float(score) if listed else math.nan,
                    float(rank) if rank is not None else MISSING_RANK,
                    1.0 if listed else 0.0,
                    best[name] - float(score) if listed else math.nan]
        rules = {r.get("rule"): float(r.get("delta", 0.0)) for r in (item.rules or [])}
        row += [fused[i], float(i + 1), top - fused[i], sum(rules.values()),
                *(1.0 if r in rules else 0.0 for r in RULES)]
        row += [1.0 if ctx.query_language == ctx.language else 0.0,
                1.0 if ctx.query_language == "en" else 0.0,
                1.0 if ctx.language == "en" else 0.0]
        row += list(_ipc_overlap(ctx.ipc, [h for h in head_ipc if h is not ctx.ipc]))
        agree = (1.0 if ctx.query_field and ctx.query_field == ctx.candidate_field
                 else 0.0)
        decided = ctx.accepted + ctx.rejected
        row += [agree, float(ctx.family_size), math.log1p(ctx.query_length),
                math.log1p(ctx.length),
                ctx.age_years if ctx.age_years is not None else math.nan,
                float(ctx.accepted), float(ctx.rejected),
                (ctx.accepted + 1.0) / (decided + 2.0),  # Laplace: 0.5 with no history
                ctx.similar_accepted, ctx.similar_rejected,
                # Share of the look-alike evidence that says "relevant" (Laplace: 0.5 with
                # none) and how much evidence there is: unlike the weighted sums, these keep
                # their scale as decisions pile up, so a model trained on fewer decisions reads
                # them the same way later.
                (ctx.similar_accepted + 1.0) / (ctx.similar_accepted + ctx.similar_rejected + 2.0),
                math.log1p(ctx.similar_accepted + ctx.similar_rejected),
                ctx.co_accepted]
        rows[i] = row
    return rows
