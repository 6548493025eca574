"""The batch's ranking spread over worker processes (``flask match --workers N``).

Ranking one record with its explanations is Python and numpy work of about 60 ms (query
analysis, fusion, sentence encoding, calibration: ``bench/bench_ingest.py``), and a region's
batch holds every open need and every dormant patent, 100k records and more: one process
keeps one core busy. Here N spawned processes each load the app and the engine (the index
files are memory-mapped, so the machine holds one copy) and rank records; the calling process
stores their lists in the batch's own order (``matching.batch.run``), so the stored rows are
the same whatever N. Workers only read the database.

Spawned, not forked: the parent has loaded the encoders (torch keeps thread pools that do not
survive a fork). A worker starts in about the time the CLI takes to load the app and encoders.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor

from flask import current_app

from ..encoders import counting
from ..matching.engine import Ranked

#: records handed to a worker at a time (fewer round trips; small enough to keep the
#: workers evenly loaded at the end of the batch)
CHUNK = 8
#: below this many records per worker, starting processes costs more than it saves
MIN_RECORDS_PER_WORKER = 50

_worker: dict = {}


def usable_workers(asked: int, records: int) -> int:
    """How many processes the batch uses: ``asked`` (0: one per core), fewer when there is
    too little work, and 1 inside a daemonic process (a Celery prefork child may not start
    processes of its own)."""
    asked = (os.cpu_count() or 1) if asked == 0 else max(1, asked)
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, min(asked, records // MIN_RECORDS_PER_WORKER))


def portable_config(config: Mapping) -> dict:
    """The settings a worker's app is built with: every value that can be sent to it (the
    app was built from these, plus environment defaults the worker reads the same way)."""
    out = {}
    for key, value in config.items():
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001 - a value that cannot travel stays at its default
            continue
        out[key] = value
    return out


def rankings(todo: list[tuple[int, str]], k: int, workers: int) -> Iterator[list[Ranked]]:
    """Each record's ranked list, in ``todo``'s order, ranked by ``workers`` processes; the
    workers' encoder counts are added to this process's (``counting``)."""
    context = multiprocessing.get_context("spawn")
    config = portable_config(current_app.config)
    tasks = [(direction, record_id, k) for record_id, direction in todo]
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                             initargs=(config,)) as pool:
        for ranked, encoded in pool.map(_rank, tasks, chunksize=CHUNK):
            counting.absorb(encoded)
            yield ranked


def _start(config: dict) -> None:
    """A worker's set-up: its own app, app context and matching service."""
    from .. import create_app
    from ..matching.explain import SentenceCache
    from .matching import service

    app = create_app(config)
    context = app.app_context()
    context.push()
    _worker["context"] = context  # kept for the worker's life
    _worker["service"] = found = service()
    primary = found.engine.primary
    _worker["cache"] = SentenceCache(primary.encoder) if primary else None


def _rank(task: tuple[str, int, int]) -> tuple[list[Ranked], dict]:
    """One record's list, and what the worker encoded for it."""
    from ..extensions import db

    direction, record_id, k = task
    try:
        ranked = _worker["service"].rank_record(direction, record_id, k, _worker["cache"])
    finally:
        db.session.remove()  # end the read transaction: no snapshot held between records
    return ranked, counting.take()
