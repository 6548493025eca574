"""Patent families and near-duplicates: one family takes one slot in a ranked list.

Two patents are one family when they share a ``family_id`` (imported family or priority
number), or, without one, when they have the same owner organisation, the same main IPC code
and primary (multilingual) vectors close enough: a cosine of at least ``cross_language``
between a Chinese and an English text, ``same_language`` between two texts of one language
(a near-identical text). Measured on the demo (docs/matching.md, "Families"): the ten
bilingual twins have cosines 0.725-0.830; the closest same-owner, same-IPC non-twin 0.719 (two
Chinese texts). Grouping runs at ranking time over the candidates of one list, so no stored
grouping can go stale when a record changes; it reads the stored vectors of only those
candidates that share owner and main IPC code with another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .channels import stored_by_id
from .rules import PatentFacts

CROSS_LANGUAGE = 0.70
SAME_LANGUAGE = 0.90


@dataclass
class Slot:
    """A ranked slot: its head (the most relevant member) and the rest of its family."""

    head: int
    members: list[int] = field(default_factory=list)


def twin_key(facts: PatentFacts) -> tuple | None:
    """Patents that may be near-duplicates share this key (owner, main IPC); None: no owner."""
    if facts.owner_id is None:
        return None
    return facts.owner_id, facts.main_ipc


def group(ordered: Sequence[int], facts: dict[int, PatentFacts],
          vector_of: Callable[[Sequence[int]], dict[int, np.ndarray]], k: int,
          cross_language: float = CROSS_LANGUAGE, same_language: float = SAME_LANGUAGE
          ) -> list[Slot]:
    """At most ``k`` slots from ``ordered`` ids (best first); later family members join a slot.

    Members are collected from the whole ordered list, also below the k-th slot, so a slot
    says how many family members the list held.
    """
    keys = {i: twin_key(facts[i]) for i in ordered}
    shared = {key for key, n in Counter(keys.values()).items() if key is not None and n > 1}
    vectors = vector_of([i for i in ordered if keys[i] in shared])
    slots: list[Slot] = []
    by_family: dict[str, Slot] = {}
    for item in ordered:
        family = facts[item].family_id
        slot = by_family.get(family) if family else None
        if slot is None and keys[item] in shared and item in vectors:
            slot = _twin(item, slots, facts, keys, vectors, cross_language, same_language)
        if slot is not None:
            slot.members.append(item)
        elif len(slots) < k:
            slot = Slot(item)
            slots.append(slot)
        else:
            continue
        if family:
            by_family.setdefault(family, slot)
    return slots


def _twin(item, slots, facts, keys, vectors, cross_language, same_language) -> Slot | None:
    best, best_cosine = None, -1.0
    for slot in slots:
        head = slot.head
        if keys[head] != keys[item] or head not in vectors:
            continue
        cosine = float(np.dot(vectors[head], vectors[item]))
        same = facts[head].language == facts[item].language
        if cosine >= (same_language if same else cross_language) and cosine > best_cosine:
            best, best_cosine = slot, cosine
    return best


def fold(ranked: list, facts: dict[int, PatentFacts], channel, k: int, threshold: float) -> list:
    """The first ``k`` slots of ``ranked`` (objects with ``id`` and ``family``), members folded.

    ``channel`` is the primary dense channel: its stored vectors decide near-duplicates.
    """

    def vector_of(ids):
        return {i: v / max(float(np.linalg.norm(v)), 1e-12)
                for i, v in stored_by_id(channel, "patents", ids).items()}

    by_id = {r.id: r for r in ranked}
    slots = group([r.id for r in ranked], {i: facts[i] for i in by_id}, vector_of, k, threshold)
    for slot in slots:
        by_id[slot.head].family = list(slot.members)
    return [by_id[slot.head] for slot in slots]
