"""One definition per figure that several pages show (issue 10, point 4).

Every page that shows one of these numbers reads it here, so the dashboard's card, the review
queue, the pipeline board and the funnel cannot disagree. The words are fixed in
docs/glossary.md:

- **待审 / pending**: pairs whose status is *candidate now* (current, not cumulative). Scope
  "all" (``pending()``) counts the whole platform; scope "mine" (``pending(user)``) counts
  what ``user`` may review: for a broker the pairs assigned to them plus the unassigned ones in
  their fields and regions, for an administrator all of them (the queue's default view).
- **已签约 / signed contracts**: pairs whose contract is signed now: status signed or
  registered (a registered contract was signed first). Current, platform-wide.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from ..records import Match, MatchStatus, Role, User
from . import access, scores

SIGNED = (MatchStatus.SIGNED, MatchStatus.REGISTERED)


def _scoped(stmt, user: User | None):
    """``stmt`` over the pairs ``user`` may see (everything for no user and for an
    administrator). Counts walk the user's whole scope: ``access.scope_filter``, no joins."""
    if user is None or user.role is Role.ADMIN:
        return stmt
    return stmt.where(access.scope_filter(user))


def pending(user: User | None = None) -> int:
    """待审: candidate pairs now; on the platform, or those ``user`` may review."""
    stmt = select(func.count(Match.id)).where(Match.status == MatchStatus.CANDIDATE)
    return db.session.scalar(_scoped(stmt, user)) or 0


def pending_counts(user: User) -> tuple[int, int]:
    """(待审 of ``user``, the strong ones among them) in one pass over the user's candidates:
    the review queue's header and its default view (which hides weak candidates) show both,
    and for a broker at 100k pairs each pass checks the scope of ~56k unassigned candidates."""
    strong = or_(Match.calibrated.is_(None), Match.calibrated >= scores.thresholds().strong)
    stmt = select(func.count(Match.id), func.count(Match.id).filter(strong)).where(
        Match.status == MatchStatus.CANDIDATE)
    everything, shown = db.session.execute(_scoped(stmt, user)).one()
    return everything or 0, shown or 0


def pending_of(by_status: dict[MatchStatus, int]) -> int:
    """待审 on the platform, from counts per status a page has already read."""
    return by_status.get(MatchStatus.CANDIDATE, 0)


def signed_of(by_status: dict[MatchStatus, int]) -> int:
    """已签约 from counts per status a page has already read."""
    return sum(by_status.get(s, 0) for s in SIGNED)


def signed_contracts() -> int:
    """已签约: pairs signed or registered now, platform-wide."""
    return db.session.scalar(select(func.count(Match.id)).where(Match.status.in_(SIGNED))) or 0
