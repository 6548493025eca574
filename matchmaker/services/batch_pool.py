"""Batch work spread over worker processes: ranking the batch (``flask match --workers N``)
and encoding a rebuild's documents (``flask build-index --workers N``).

Ranking one record with its explanations is Python and numpy work of about 50 ms (query
analysis, fusion, sentence encoding, calibration: ``bench/bench_ingest.py``), and a region's
batch holds every open need and every dormant patent, 100k records and more: one process
keeps one core busy. Here N worker processes rank records and this process stores their lists
in the batch's own order (``matching.batch.run``), so the stored rows are the same whatever N.
Workers only read the database. A rebuild's encoding is spread the same way: chunks of
prepared documents go to the workers and their vectors come back in order
(:func:`vector_source`, the ``vectors`` hook of ``index_documents``); the collections are
written here.

Workers are forked from this process after it has loaded the engine: they start at once and
share its encoders' weights and the memory-mapped index files page for page (copy on write),
instead of loading their own (about 20 s and 0.8 GB each when spawned, which cost more than it
saved on a 660-record batch). The engine's encoders run one thread each (``ENCODER_THREADS``);
each worker opens its own database connections.

A job in a Celery prefork worker runs in a daemonic process, which the standard library
forbids to start processes ("daemonic processes are not allowed to have children"). There the
pool is billiard's (Celery's fork of ``multiprocessing``, same interface), which allows it, so
the ``batch_match`` / ``build_index`` jobs of any worker pool use as many processes as the
commands. Elsewhere it is the standard library's: billiard's made ``flask build-index`` on
1,100 documents 16 % slower (19.8 -> 23.0 s, twice each, interleaved).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence

import billiard
import numpy as np

from ..encoders import counting
from ..extensions import db
from ..matching.builder import VectorSource
from ..matching.channels import DenseChannel
from ..matching.engine import Ranked
from ..matching.explain import SentenceCache
from ..text import Prepared

#: records handed to a worker at a time (fewer round trips; small enough to keep the
#: workers evenly loaded at the end of the batch)
CHUNK = 8
#: documents encoded per task of a rebuild (the encoders batch within it)
ENCODE_CHUNK = 64
#: below this many records per worker, starting processes costs more than it saves
MIN_RECORDS_PER_WORKER = 50

_worker: dict = {}


def usable_workers(asked: int, records: int) -> int:
    """How many processes the batch uses: ``asked`` (0: one per core), fewer when there is
    too little work."""
    asked = (os.cpu_count() or 1) if asked == 0 else max(1, asked)
    return max(1, min(asked, records // MIN_RECORDS_PER_WORKER))


def rankings(service, todo: list[tuple[int, str]], k: int,
             workers: int) -> Iterator[list[Ranked]]:
    """Each record's ranked list, in ``todo``'s order, ranked by ``workers`` processes forked
    with ``service`` (this process's ``MatchingService``, its engine loaded)."""
    tasks = [(direction, record_id, k) for record_id, direction in todo]
    yield from _forked_map(service, workers, _rank, tasks)


def _forked_map(service, workers: int, work, tasks: list, chunksize: int = CHUNK,
                progress: str | None = None) -> Iterator:
    """``work`` over ``tasks`` in ``workers`` processes forked with ``service``, results in
    the tasks' order; what the workers encoded is added to this process's ``counting``."""
    daemonic = multiprocessing.current_process().daemon  # a Celery prefork child
    context = (billiard if daemonic else multiprocessing).get_context("fork")
    pool = context.Pool(workers, initializer=_start, initargs=(service,))
    try:
        done = pool.imap(work, tasks, chunksize=chunksize)
        if progress:
            from tqdm import tqdm  # stderr progress bar for the CLI

            done = tqdm(done, total=len(tasks), desc=progress, unit="chunk")
        for result, encoded in done:
            counting.absorb(encoded)
            yield result
    except BaseException:
        pool.terminate()  # an error, or a caller that stopped early: no worker left behind
        raise
    else:
        pool.close()
    finally:
        pool.join()


def vector_source(service, workers: int, progress: bool = False) -> VectorSource:
    """``index_documents``' vectors, encoded by ``workers`` processes forked with ``service``
    (its engine loaded), chunk by chunk, in the documents' order."""

    def encode(channel: DenseChannel, prepared: Sequence[Prepared]) -> np.ndarray:
        count = usable_workers(workers, len(prepared))
        if count <= 1:
            return channel.embed(prepared, progress=progress)
        tasks = [(channel.name, list(prepared[start:start + ENCODE_CHUNK]))
                 for start in range(0, len(prepared), ENCODE_CHUNK)]
        return np.concatenate(list(_forked_map(service, count, _embed, tasks, chunksize=1,
                                               progress=channel.name if progress else None)))

    return encode


def _start(service) -> None:
    """A forked worker's set-up: the parent's connections and encode counts stay the
    parent's."""
    db.engine.dispose(close=False)
    counting.reset()
    _worker["service"] = service
    primary = service.engine.primary
    _worker["cache"] = SentenceCache(primary.encoder) if primary else None


def _embed(task: tuple[str, list[Prepared]]) -> tuple[np.ndarray, dict]:
    """One chunk's vectors in the named channel, and what the worker encoded for it."""
    name, prepared = task
    channel = next(c for c in _worker["service"].engine.dense if c.name == name)
    return channel.embed(prepared), counting.take()


def _rank(task: tuple[str, int, int]) -> tuple[list[Ranked], dict]:
    """One record's list, and what the worker encoded for it."""
    direction, record_id, k = task
    try:
        ranked = _worker["service"].rank_record(direction, record_id, k, _worker["cache"])
    finally:
        db.session.remove()  # end the read transaction: no snapshot held between records
    return ranked, counting.take()
