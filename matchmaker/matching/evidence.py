"""Absolute evidence of each candidate for the calibrated score (see ``calibration``).

Reads the engine's channels: the cosine of the query's vector with each candidate's stored
vector (also for a candidate a channel did not list), the BM25 coverage of the query by each
candidate, how many channels list it near the top, and (``calibration.in_context``) the shape
of the query and the evidence of the other candidates of its list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..text import Prepared
from .calibration import CONTEXT_N, TOP_N, Evidence, in_context
from .channels import stored_by_id
from .fusion import Fused


def _cosines(channel, side: str, vector: np.ndarray | None, ids: Sequence[int]
             ) -> list[float | None]:
    """Cosine of ``vector`` with each id's stored vector; None where the channel has none."""
    if vector is None:
        return [None] * len(ids)
    found = stored_by_id(channel, side, ids)
    return [float(found[int(i)] @ vector) if int(i) in found else None for i in ids]


def _absolute(engine, side: str, query: Prepared, items: Sequence, positions: dict[int, int],
              vectors: dict[str, np.ndarray]) -> list[Evidence]:
    """Each item's own evidence (no context yet)."""
    ids = [int(item.id) for item in items]
    primary = engine.primary
    dense_extra = [c for c in engine.dense if c is not primary]
    first = (_cosines(primary, side, vectors.get(primary.name), ids) if primary is not None
             else [None] * len(ids))
    extra = [None] * len(ids)
    for channel in dense_extra:  # the first extra channel that compares the pair
        if channel.name not in vectors:
            continue
        found = _cosines(channel, side, vectors[channel.name], ids)
        extra = [e if e is not None else f for e, f in zip(extra, found, strict=True)]
    if engine.lexical is not None and query.lexical and ids:
        coverage = engine.lexical.coverage(side, query.lexical, ids)
    else:
        coverage = np.zeros(len(ids))
    out = []
    for row, item in enumerate(items):
        active = [c for c in item.channels.values() if (c.get("weight") or 0) > 0]
        listed = sum(1 for c in active if c.get("rank") is not None and c["rank"] <= TOP_N)
        out.append(Evidence(
            primary=first[row] if first[row] is not None else 0.0,
            extra=extra[row],
            coverage=float(coverage[row]),
            agreement=listed / len(active) if active else 0.0,
            rank=positions.get(int(item.id), len(positions) + 1),
            language=query.language,
        ))
    return out


def gather(engine, side: str, query: Prepared, items: Sequence, positions: dict[int, int],
           vectors: dict[str, np.ndarray], fused: Sequence | None = None) -> list[Evidence]:
    """Evidence of ``items`` (each with ``id`` and ``channels``) for ``query`` in ``side``.

    ``positions`` maps an id to its rank in the fused list (before rules); ``vectors`` are the
    query's vectors per dense channel (``Engine.retrieve``). The context ("others") is the
    first ``CONTEXT_N`` of ``fused`` (default: ``items``), so a candidate's score does not
    depend on how many candidates the caller asked for.
    """
    pool_items = list(fused[:CONTEXT_N]) if fused is not None else list(items)
    own = _absolute(engine, side, query, items, positions, vectors)
    by_id = {int(item.id): e for item, e in zip(items, own, strict=True)}
    missing = [item for item in pool_items if int(item.id) not in by_id]
    for item, e in zip(missing, _absolute(engine, side, query, missing, positions, vectors),
                       strict=True):
        by_id[int(item.id)] = e
    pool = [by_id[int(item.id)] for item in pool_items]
    where = {int(item.id): i for i, item in enumerate(pool_items)}
    return in_context(own, query.lexical, pool, [where.get(int(item.id)) for item in items])


def calibrated(engine, side: str, query: Prepared, items: Sequence, fused: Sequence,
               vectors: dict[str, np.ndarray], model_side: str | None) -> list[int | None]:
    """The calibrated 0-100 score of each of ``items`` (None without a model), from their
    evidence among ``fused``, the query's whole fused list; ``model_side`` picks the model
    (``Calibrator.model_for``; None: the main one)."""
    if engine.calibration.model is None or not items:
        return [None] * len(items)
    positions = {item.id: position for position, item in enumerate(fused, start=1)}
    return engine.calibration.scores(
        gather(engine, side, query, items, positions, vectors, fused), model_side)


def rescore(engine, side: str, query: Prepared, ids: Sequence[int]) -> list[int | None]:
    """The calibrated score of each of ``ids`` for ``query``, computed as ``Engine.match``
    does (``flask recalibrate``: stored pairs after a new model, also pairs the query's fused
    list no longer holds, which no channel then lists: agreement 0, rank after the last)."""
    if engine.calibration.model is None or not ids:
        return [None] * len(ids)
    fused, vectors = engine.retrieve(side, query)
    by_id = {item.id: item for item in fused}
    items = [by_id.get(int(i)) or Fused(int(i), 0.0, {}) for i in ids]
    return calibrated(engine, side, query, items, fused, vectors, side)
