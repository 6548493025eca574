"""Patent families and near-duplicates: one family takes one slot in a ranked list.

Two patents are one family when they share a ``family_id`` (imported family or priority
number), or, without one, when they have the same owner organisation and their primary
(multilingual) vectors have a cosine of at least ``threshold``: a Chinese patent and its
English filing are near-identical in that space. Grouping runs at ranking time over the
candidates of one list, so it needs no stored grouping that could go stale when a record
changes; it reads the stored vectors of only those candidates whose owner appears twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: cosine of USE multilingual vectors above which two same-owner patents are one family.
#: Measured on the demo: bilingual twins 0.83-0.95, other same-owner pairs at most 0.74
#: (docs/matching.md, "Families").
DEFAULT_THRESHOLD = 0.8


@dataclass
class Slot:
    """A ranked slot: its head (the most relevant member) and the rest of its family."""

    head: int
    members: list[int] = field(default_factory=list)


def group(ordered: Sequence[int], owners: dict[int, int | None], families: dict[int, str | None],
          vector_of: Callable[[Sequence[int]], dict[int, np.ndarray]], k: int,
          threshold: float = DEFAULT_THRESHOLD) -> list[Slot]:
    """At most ``k`` slots from ``ordered`` ids (best first); later family members join a slot.

    Members are collected from the whole ordered list, also below the k-th slot, so a slot
    says how many family members the list held.
    """
    shared_owner = {o for o, n in Counter(owners.get(i) for i in ordered).items()
                    if o is not None and n > 1}
    vectors = vector_of([i for i in ordered if owners.get(i) in shared_owner])
    slots: list[Slot] = []
    by_family: dict[str, Slot] = {}
    for item in ordered:
        slot = by_family.get(families.get(item) or "")
        if slot is None and owners.get(item) in shared_owner and item in vectors:
            slot = _twin(item, slots, owners, vectors, threshold)
        if slot is not None:
            slot.members.append(item)
        elif len(slots) < k:
            slot = Slot(item)
            slots.append(slot)
        else:
            continue
        family = families.get(item)
        if family:
            by_family.setdefault(family, slot)
    return slots


def _twin(item: int, slots: list[Slot], owners, vectors, threshold: float) -> Slot | None:
    for slot in slots:
        if owners.get(slot.head) != owners.get(item) or slot.head not in vectors:
            continue
        if float(np.dot(vectors[slot.head], vectors[item])) >= threshold:
            return slot
    return None
