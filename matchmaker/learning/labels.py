"""Relevance grades derived from what brokers and enterprises did with a pair.

The grades (higher is more relevant), documented in docs/learning.md:

====  ==========================================================================
4     已签约 / 已登记 (signed, registered)
3     洽谈中 / 已联系 (negotiating, contacted)
2     已推荐 (recommended)
1     enterprise said "interested" on a pair not yet recommended
None  待审 (candidate): unlabelled, never a negative
0     rejected as "not relevant", or the enterprise said "not interested"
====  ==========================================================================

A rejection for a reason that is not about relevance (too early, benefit unclear, price or
terms, already solved, other: patent-level and commercial reasons) is not a negative: the pair
keeps the grade of the furthest stage it reached before (e.g. 3 when talks failed on price)
and is unlabelled when it never left the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Plain strings (the stored enum codes) so this module needs no ORM.
STAGE_GRADE = {
    "registered": 4,
    "signed": 4,
    "negotiating": 3,
    "contacted": 3,
    "recommended": 2,
}
INTERESTED_GRADE = 1
NEGATIVE = 0
MAX_GRADE = 4
NOT_RELEVANT = "not_relevant"


@dataclass(frozen=True)
class Label:
    """A pair's grade (None: unlabelled) and why it got it."""

    grade: int | None
    why: str


def derive(status: str, *, rejection_reason: str | None = None, feedback: str | None = None,
           reached: Iterable[str] = ()) -> Label:
    """The relevance label of a pair from its status, rejection reason and enterprise feedback.

    ``reached`` lists the statuses the pair passed through (its history), so a pair rejected
    for price after talks still counts as relevant.
    """
    status, feedback = str(status), (str(feedback) if feedback else None)
    reason = str(rejection_reason) if rejection_reason else None
    if status == "rejected":
        if reason == NOT_RELEVANT:
            return Label(NEGATIVE, "rejected_not_relevant")
        best = max((STAGE_GRADE.get(str(s), -1) for s in reached), default=-1)
        if best >= 0:
            return Label(best, f"rejected_{reason or 'other'}_after_progress")
        if feedback == "interested":
            return Label(INTERESTED_GRADE, "enterprise_interested")
        return Label(None, f"rejected_{reason or 'other'}_not_about_relevance")
    if status in STAGE_GRADE:
        grade = STAGE_GRADE[status]
        if feedback == "not_interested" and grade <= STAGE_GRADE["recommended"]:
            return Label(NEGATIVE, "enterprise_not_interested")
        return Label(grade, status)
    # candidate (待审): only the enterprise's own reaction says anything
    if feedback == "interested":
        return Label(INTERESTED_GRADE, "enterprise_interested")
    if feedback == "not_interested":
        return Label(NEGATIVE, "enterprise_not_interested")
    return Label(None, "candidate_unlabelled")
