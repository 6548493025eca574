"""Score regularisation over the candidates' neighbours (matching/neighbours.py) and the
engine's use of it: the first candidate keeps its place, so does a candidate in another
language than the query's, a candidate with strong neighbours passes one whose neighbours are
weak, the values shown keep their places, and a stale index changes nothing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from matchmaker.matching.fusion import Fused, FusionConfig
from matchmaker.matching.neighbours import regularise, smooth


def _unit(rows) -> np.ndarray:
    rows = np.asarray(rows, np.float64)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# Candidates 0, 1 and 3 are about one topic; candidate 2 (third by score) resembles only the
# two weak candidates 4 and 5, which are about something else.
VECTORS = _unit([[1.0, 0.1, 0.0], [1.0, 0.0, 0.1], [0.1, 0.1, 1.0], [0.9, 0.1, 0.1],
                 [0.0, 0.2, 1.0], [0.0, 0.1, 1.0]])
SCORES = np.array([0.9, 0.8, 0.75, 0.74, 0.3, 0.2])
N = len(SCORES)


def test_a_candidate_whose_neighbours_score_low_sinks_below_one_with_strong_neighbours():
    fused = [Fused(10 + i, float(s)) for i, s in enumerate(SCORES)]
    out = smooth(fused, VECTORS, 0.7, 0.1)
    ids = [f.id for f in out]
    assert ids[0] == 10  # the first keeps its place
    assert ids.index(13) < ids.index(12)  # the leaders' neighbour passes the weak ones'
    assert sorted(ids) == [10 + i for i in range(N)]  # nothing lost, nothing added
    # a moved candidate takes the value of its new place: the values shown stay as fused
    assert [f.score for f in out] == [f.score for f in fused]
    assert out[ids.index(13)].channels is fused[3].channels


def test_values_stay_between_the_lowest_and_the_first_and_share_zero_changes_nothing():
    new = regularise(SCORES, VECTORS, 0.7, 0.1)
    assert new[0] == SCORES[0]
    assert SCORES.min() - 1e-12 <= new.min() and new.max() <= SCORES[0] + 1e-12
    assert np.array_equal(regularise(SCORES, VECTORS, 0.0, 0.1), SCORES)
    fused = [Fused(i, float(s)) for i, s in enumerate(SCORES)]
    assert smooth(fused, VECTORS, 0.0, 0.1) == fused
    # equal scores carry no order to smooth
    flat = np.full(N, 0.5)
    assert np.array_equal(regularise(flat, VECTORS, 0.7, 0.1), flat)


def test_candidates_after_the_smoothed_ones_keep_their_places():
    tail = [Fused(20, 0.19), Fused(21, 0.1)]
    fused = [Fused(10 + i, float(s)) for i, s in enumerate(SCORES)] + tail
    out = smooth(fused, VECTORS, 0.7, 0.1)
    assert out[N:] == tail


def test_a_candidate_that_may_not_move_keeps_its_place_and_the_others_move_around_it():
    fused = [Fused(10 + i, float(s)) for i, s in enumerate(SCORES)]
    free = [f.id for f in smooth(fused, VECTORS, 0.7, 0.1)]
    assert free.index(12) > 2  # moved when free
    held = [f.id for f in smooth(fused, VECTORS, 0.7, 0.1,
                                 movable=[True, True, False, True, True, True])]
    assert held[2] == 12  # kept its place
    assert [i for i in held if i != 12] == [i for i in free if i != 12]  # the rest as before


def test_too_few_candidates_are_left_alone():
    fused = [Fused(1, 0.9), Fused(2, 0.5)]
    assert smooth(fused, VECTORS[:2], 0.7, 0.1) == fused


def test_default_is_the_documented_setting():
    config = FusionConfig()
    assert (config.neighbours, config.neighbour_docs, config.neighbour_temperature) == (
        0.7, 50, 0.1)
    assert config.neighbour_languages == ("zh",)  # measured: English queries lose by it


class _Primary:
    """The part of a dense channel the engine's regularisation reads: stored vectors."""

    name = "use"

    def __init__(self, vectors: dict[int, np.ndarray]):
        self.vectors = vectors
        self.asked = []

    def stored(self, side, ids):
        self.asked.append(list(ids))
        rows = [self.vectors[i] for i in ids if i in self.vectors]
        return np.stack(rows) if rows else np.zeros((0, 3))


def _engine_with(primary, **fusion):
    from matchmaker.matching.engine import Engine

    engine = Engine([], None, fusion=FusionConfig(**fusion))
    engine.dense = [primary]
    return engine


def test_the_engine_reorders_with_the_primary_channels_stored_vectors():
    primary = _Primary({10 + i: v for i, v in enumerate(VECTORS)})
    engine = _engine_with(primary)
    fused = [Fused(10 + i, float(s)) for i, s in enumerate(SCORES)]
    out = engine.regularise("patents", fused, "zh")
    assert [f.id for f in out] == [f.id for f in smooth(fused, VECTORS, 0.7, 0.1)]
    assert primary.asked[0] == [10 + i for i in range(N)]
    # a candidate in another language than the query's stays where the fusion put it
    across = [f.id for f in engine.regularise("patents", fused, "zh", {12: "en"})]
    assert across[2] == 12 and across != [f.id for f in fused]
    same = engine.regularise("patents", fused, "zh", {12: "zh"})
    assert [f.id for f in same] == [f.id for f in out]
    # English queries rank as fused (measured: they lose by it), and 0 switches it off
    assert engine.regularise("patents", fused, "en") == fused
    engine.fusion = replace(engine.fusion, neighbours=0.0)
    assert engine.regularise("patents", fused, "zh") == fused


def test_a_candidate_missing_from_the_index_leaves_the_order_as_fused():
    primary = _Primary({10 + i: v for i, v in enumerate(VECTORS) if i != 3})
    engine = _engine_with(primary)
    fused = [Fused(10 + i, float(s)) for i, s in enumerate(SCORES)]
    assert engine.regularise("patents", fused, "zh") == fused


def test_retrieve_passes_its_fused_list_through_the_regularisation(tmp_path, monkeypatch):
    from matchmaker.text import prepare_need
    from tests.test_feedback import TOPICAL, _engine

    engine = _engine(tmp_path)
    seen = []

    def reverse(side, fused, language, languages):  # any visible change will do
        seen.append([f.id for f in fused])
        assert language == "en"
        return list(reversed(fused))

    monkeypatch.setattr(engine, "regularise", reverse)
    found = engine.search("patents", prepare_need(TOPICAL), 10)
    assert seen and [f.id for f in found] == list(reversed(seen[0]))[:10]
