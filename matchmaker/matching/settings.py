"""``EngineSettings``: the engine's typed settings, read once from the app configuration.

The defaults live in ``matchmaker/config.py`` only; this module types and groups them so the
portal, the CLI, the evaluation and the benchmarks build the same engine from the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..encoders import parse_specs
from .calibration import Thresholds
from .fusion import FusionConfig


@dataclass(frozen=True)
class EngineSettings:
    """Everything ``build_engine`` needs.

    Args:
        index_dir: folder of the persisted collections (INDEX_DIR).
        models_dir: folder of local encoder models (MODELS_DIR).
        encoders: dense encoder specs, the primary (cross-lingual) one first, no duplicates.
        threads: CPU threads per encoder and for FAISS (ENCODER_THREADS).
        exact_limit: below this many vectors a dense collection is exact (EXACT_INDEX_LIMIT).
        top_k: candidates stored per record (MATCH_TOP_K).
        home_region: the 盟市 the region rule favours (HOME_REGION).
        vector_backend: where dense collections live (VECTOR_BACKEND): "faiss" or "milvus".
        milvus_uri: the Milvus server or Milvus Lite file (MILVUS_URI); empty: a Milvus Lite
            file under ``index_dir``.
        calibration_file: the calibration model (CALIBRATION_FILE; "": the packaged one).
        thresholds: score bands and the strong-candidate line (SCORE_BAND_*, STRONG_MATCH_MIN).
        preference_margin: relevance margin of the preference tie-break (PREFERENCE_MARGIN).
        family_threshold: cross-language cosine of a family twin (FAMILY_THRESHOLD).
        compact_share, compact_min: a collection's change log is due for compaction once it
            holds ``max(compact_min, compact_share * documents)`` changed ids
            (INDEX_COMPACT_SHARE, INDEX_COMPACT_MIN).
        fusion: how the channels' lists are fused, pseudo-relevance feedback included
            (``FusionConfig``: its defaults are the measured choice, docs/matching.md); not
            read from the configuration, so every path ranks with the same method.
    """

    index_dir: str
    models_dir: str
    encoders: tuple[str, ...]
    threads: int
    exact_limit: int
    top_k: int
    home_region: str
    vector_backend: str
    milvus_uri: str
    calibration_file: str
    thresholds: Thresholds
    preference_margin: float
    family_threshold: float
    compact_share: float = 0.02
    compact_min: int = 10
    fusion: FusionConfig = field(default_factory=FusionConfig)

    @classmethod
    def from_config(cls, config: Mapping) -> EngineSettings:
        """Settings from a Flask config (or ``load_config``'s mapping)."""
        specs = parse_specs(config["ENCODER"]) + parse_specs(config["EXTRA_ENCODERS"])
        return cls(
            index_dir=str(config["INDEX_DIR"]),
            models_dir=str(config["MODELS_DIR"]),
            encoders=tuple(dict.fromkeys(specs)),
            threads=int(config["ENCODER_THREADS"]),
            exact_limit=int(config["EXACT_INDEX_LIMIT"]),
            top_k=int(config["MATCH_TOP_K"]),
            home_region=str(config["HOME_REGION"]),
            vector_backend=str(config["VECTOR_BACKEND"]),
            milvus_uri=str(config["MILVUS_URI"]),
            calibration_file=str(config["CALIBRATION_FILE"] or ""),
            thresholds=Thresholds(high=int(config["SCORE_BAND_HIGH"]),
                                  medium=int(config["SCORE_BAND_MEDIUM"]),
                                  strong=int(config["STRONG_MATCH_MIN"])),
            preference_margin=float(config["PREFERENCE_MARGIN"]),
            family_threshold=float(config["FAMILY_THRESHOLD"]),
            compact_share=float(config["INDEX_COMPACT_SHARE"]),
            compact_min=int(config["INDEX_COMPACT_MIN"]),
        )

    def but(self, **changes) -> EngineSettings:
        """A copy with some fields changed (evaluation: another index folder, other encoders)."""
        if "encoders" in changes:
            changes["encoders"] = tuple(dict.fromkeys(changes["encoders"]))
        return replace(self, **changes)
