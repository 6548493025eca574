"""Need-patent pairs, their pipeline status and the history of every move."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, dialect_only, enum_type, utcnow
from .enums import Feedback, MatchStatus, RejectionReason
from .needs import Need
from .organizations import User
from .patents import Patent


class Match(TimestampMixin, db.Model):
    """One candidate pair.

    ``channel_scores`` maps a channel name to its raw score and rank, e.g.
    ``{"use-multilingual": {"score": 0.61, "rank": 2}, "bm25": {"score": 7.3, "rank": 1}}``.
    ``explanation`` holds the engine's structured explanation: ``fused``, ``rules`` (a list of
    ``{"rule", "label", "delta"}``), ``shared_terms`` and ``closest_sentences``
    (``{"text", "source", "score"}``).
    """

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("need_id", "patent_id"),
        Index("ix_matches_status_score", "status", "score"),
        # the queue's default sort: the calibrated score shown to brokers
        Index("ix_matches_status_calibrated", "status", "calibrated"),
        Index("ix_matches_broker_status", "broker_id", "status"),
        # The queue's "waiting longest" sort (measured: 250 ms -> 6 ms at 100k pairs).
        Index("ix_matches_status_changed", "status", "status_changed_at"),
        # Patent- and need-level rejections, read by every match (matching.rows.blocked_ids).
        Index("ix_matches_status_reason", "status", "rejection_reason", "need_id", "patent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    channel_scores: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)  # final score
    rank: Mapped[int | None] = mapped_column(Integer)  # rank within the need's list
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[MatchStatus] = mapped_column(
        enum_type(MatchStatus, "match_status"), default=MatchStatus.CANDIDATE
    )
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(
        enum_type(RejectionReason, "rejection_reason")
    )
    rejection_note: Mapped[str | None] = mapped_column(String(500))
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20), default="batch")  # batch / manual / event
    enterprise_feedback: Mapped[Feedback | None] = mapped_column(enum_type(Feedback, "feedback"))
    feedback_reason: Mapped[str | None] = mapped_column(String(500))
    contract_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    contract_number: Mapped[str | None] = mapped_column(String(60))  # 技术合同登记号
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    # The learned reranker version that ordered this pair (None: the engine's own order).
    model_version: Mapped[str | None] = mapped_column(String(40))
    # The calibrated score, 0-100: how likely a broker would recommend this pair (issue 9;
    # None: stored before calibration or without a calibration model).
    calibrated: Mapped[int | None] = mapped_column(Integer)
    # Preference flags (matching.rules.flags): True favourable, False not, None unknown. Kept
    # as columns so the queue filters by them; the explanation holds their labels.
    flag_region: Mapped[bool | None] = mapped_column(Boolean)
    flag_open_licence: Mapped[bool | None] = mapped_column(Boolean)
    flag_budget: Mapped[bool | None] = mapped_column(Boolean)
    flag_mode: Mapped[bool | None] = mapped_column(Boolean)

    need: Mapped[Need] = relationship()
    patent: Mapped[Patent] = relationship()
    broker: Mapped[User | None] = relationship()
    history: Mapped[list[MatchHistory]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="MatchHistory.at"
    )
    notes: Mapped[list[MatchNote]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="MatchNote.created_at"
    )

    def __repr__(self) -> str:
        return f"<Match need={self.need_id} patent={self.patent_id} {self.status}>"


# The queue's default order (``services.queue._by_score``: calibrated, then score, best first,
# pairs without a calibrated score last) as PostgreSQL can read it in order: its descending
# b-tree puts NULLs first, so ix_matches_status_calibrated could not serve the ORDER BY and
# the first page sorted every candidate (administrator at 100k pairs: 41 -> 1.6 ms for the
# page's rows, bench/bench_portal.py). SQLite's descending scan puts NULLs last already, and
# SQLite has no NULLS LAST in an index.
dialect_only(Index("ix_matches_queue_order", Match.status, Match.calibrated.desc().nulls_last(),
                   Match.score.desc(), Match.id), "postgresql")


class MatchHistory(db.Model):
    __tablename__ = "match_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[MatchStatus | None] = mapped_column(enum_type(MatchStatus, "from_status"))
    to_status: Mapped[MatchStatus] = mapped_column(enum_type(MatchStatus, "to_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    #: the move that caused this one: a patent- or need-level rejection names itself on each
    #: other pair it rejected, so undoing it finds them (``services.undo``)
    cause_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_history.id", ondelete="SET NULL"), index=True)

    match: Mapped[Match] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()


class MatchNote(db.Model):
    __tablename__ = "match_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)

    match: Mapped[Match] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
