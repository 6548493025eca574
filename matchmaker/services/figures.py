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

from sqlalchemy import func, select

from ..extensions import db
from ..records import Match, MatchStatus, Need, Patent, User
from . import access

SIGNED = (MatchStatus.SIGNED, MatchStatus.REGISTERED)


def pending(user: User | None = None) -> int:
    """待审: candidate pairs now; on the platform, or those ``user`` may review."""
    stmt = select(func.count(Match.id)).where(Match.status == MatchStatus.CANDIDATE)
    if user is not None:
        stmt = (
            stmt.join(Need, Need.id == Match.need_id)
            .join(Patent, Patent.id == Match.patent_id)
            .where(access.match_filter(user))
        )
    return db.session.scalar(stmt) or 0


def signed_contracts() -> int:
    """已签约: pairs signed or registered now, platform-wide."""
    return db.session.scalar(select(func.count(Match.id)).where(Match.status.in_(SIGNED))) or 0
