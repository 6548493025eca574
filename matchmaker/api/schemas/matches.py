"""Pairs (matches) and pipeline moves."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ...records import MatchStatus, RejectionReason
from .common import PageQuery, PlainText, Strict, UtcDateTime


class MatchOut(BaseModel):
    id: int
    need_id: int
    need_title: str
    patent_id: int
    patent_title: str
    publication_number: str
    score: float | None = Field(description="the engine's fused score; null for enterprises "
                                "and universities, who see no scores, rank or band")
    rank: int | None
    status: MatchStatus
    broker_id: int | None
    status_changed_at: UtcDateTime
    rejection_reason: RejectionReason | None
    calibrated_score: int | None = Field(
        description="0-100: how likely a broker would recommend this pair (docs/matching.md, "
        "Calibrated score); null when stored before calibration")
    band: Literal["high", "medium", "low"] | None = Field(
        description="`高` / `中` / `低` band of `calibrated_score` (thresholds in the configuration)")


class MatchList(BaseModel):
    items: list[MatchOut]
    next_cursor: str | None


class HistoryOut(BaseModel):
    at: UtcDateTime
    from_status: MatchStatus | None
    to_status: MatchStatus
    reason: str | None


class MatchDetail(MatchOut):
    channel_scores: dict[str, Any]
    explanation: dict[str, Any] = Field(description="fused score, rules, shared terms, sentences")
    rejection_note: str | None
    contract_amount: float | None
    contract_number: str | None
    allowed_moves: list[MatchStatus] = Field(description="empty when you may not move it")
    history: list[HistoryOut]


class MatchQuery(PageQuery):
    status: list[MatchStatus] | None = Field(None, description="default: candidate")
    score_min: float | None = Field(None, ge=-1e6, le=1e6, allow_inf_nan=False)
    score_max: float | None = Field(None, ge=-1e6, le=1e6, allow_inf_nan=False)
    calibrated_min: int | None = Field(None, ge=0, le=100, description="the 0-100 calibrated "
                                       "score, as the portal's score filter; pairs without one "
                                       "are left out when a bound is set")
    calibrated_max: int | None = Field(None, ge=0, le=100)
    ipc_section: str | None = Field(None, pattern="^[A-Ha-h]$")
    field: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=40)
    broker: str | None = Field(None, pattern="^(mine|unassigned|[1-9][0-9]{0,17})$")
    sort: Literal["score", "age"] = "score"
    weak: bool = Field(False, description="also candidates under the strong-match line "
                       "(STRONG_MATCH_MIN), hidden by default")


class MoveIn(Strict):
    to: MatchStatus
    reason: PlainText | None = Field(None, max_length=2000)
    rejection_reason: RejectionReason | None = None
    note: PlainText | None = Field(None, max_length=2000)
    # NaN is "not a finite number", not "out of range" (it compares false with any bound)
    contract_amount: float | None = Field(None, ge=0, le=1e10, allow_inf_nan=False)
    contract_number: PlainText | None = Field(None, max_length=60)
