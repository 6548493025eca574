"""The engine's one front door: ``build_engine(settings)`` and ``index_documents``.

The portal, the CLI, ``python -m matchmaker.evaluation`` and ``bench/`` all build their engine
here, so what is measured is what users get.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..encoders import get_encoder
from ..indexing import BACKENDS, dense_store, sparse_store
from ..text import Prepared
from .calibration import Calibrator
from .channels import SIDES, DenseChannel, LexicalChannel
from .engine import Engine
from .rules import RuleConfig
from .settings import EngineSettings

log = logging.getLogger(__name__)

ENCODE_BATCH = 1024  # documents encoded per call while building a collection

#: returns the vectors of a channel's accepted documents (e.g. from an embedding cache)
VectorSource = Callable[[DenseChannel, Sequence[Prepared]], np.ndarray]


def build_engine(settings: EngineSettings, *, sides: Sequence[str] = SIDES,
                 lexical: bool = True) -> Engine:
    """The engine for ``settings``: one dense channel per encoder, the BM25 channel, rules.

    Args:
        settings: the typed settings (``EngineSettings.from_config``).
        sides: the collections each channel keeps ("patents", "needs").
        lexical: False for a dense-only engine (evaluation ``--channels dense``).

    Loads the encoders (cached per process) but no index: collections load on first use.
    """
    if settings.vector_backend not in BACKENDS:  # before any model loads
        raise ValueError(f"unknown vector backend {settings.vector_backend!r}; "
                         f"known: {', '.join(BACKENDS)}")
    dense = []
    for spec in settings.encoders:
        encoder = get_encoder(spec, models_dir=settings.models_dir, threads=settings.threads)
        stores = {side: dense_store(settings.index_dir, side, encoder,
                                    exact_limit=settings.exact_limit, threads=settings.threads,
                                    backend=settings.vector_backend,
                                    milvus_uri=settings.milvus_uri) for side in sides}
        dense.append(DenseChannel(encoder, stores))
    lexical_channel = LexicalChannel(
        {side: sparse_store(settings.index_dir, side) for side in sides}
    ) if lexical else None
    calibration = Calibrator.load(settings.calibration_file or None, settings.thresholds)
    return Engine(dense, lexical_channel, fusion=settings.fusion,
                  rules=RuleConfig(home_region=settings.home_region,
                                   margin=settings.preference_margin),
                  calibration=calibration, family_threshold=settings.family_threshold)


def index_documents(engine: Engine, side: str, ids: Sequence[int],
                    prepared: Sequence[Prepared], *, vectors: VectorSource | None = None,
                    progress: bool = False) -> dict[str, float]:
    """Replace every collection of ``side`` with these documents; seconds per channel.

    Args:
        ids: database primary keys, aligned with ``prepared``.
        vectors: where dense vectors come from; default: encode in batches.
    """
    timings: dict[str, float] = {}
    for channel in engine.dense:
        started = time.perf_counter()
        keep_ids, keep_prep, _ = channel.split(list(ids), prepared)
        store = channel.stores[side]
        index = store.new_index(len(keep_ids))
        if vectors is not None:
            if keep_ids:
                index.add(np.asarray(keep_ids, np.int64), vectors(channel, keep_prep))
        else:
            for start in range(0, len(keep_ids), ENCODE_BATCH):
                part = slice(start, start + ENCODE_BATCH)
                index.add(np.asarray(keep_ids[part], np.int64),
                          channel.embed(keep_prep[part], progress=progress))
        store.save(index)
        timings[channel.name] = round(time.perf_counter() - started, 2)
    if engine.lexical is not None:
        started = time.perf_counter()
        store = engine.lexical.stores[side]
        index = store.new_index()
        index.add([int(i) for i in ids], [p.lexical for p in prepared])
        store.save(index)
        timings[engine.lexical.name] = round(time.perf_counter() - started, 2)
    return timings
