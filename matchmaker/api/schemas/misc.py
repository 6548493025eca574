"""Search, release events and notifications."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from ...records import EventStatus
from .common import PageQuery, PlainText, Strict, UtcDateTime
from .records import NeedOut, PatentOut


class SearchIn(Strict):
    text: PlainText = Field(min_length=1, max_length=5000)
    k: int = Field(10, ge=1, le=50)


_FUSED = "the engine's fused score, relative to this query: it orders the hits"
_CALIBRATED = ("the calibrated 0-100 score (docs/matching.md, Calibrated score); null without a "
               "calibration model. Fitted on need and patent texts: short queries (one or two "
               "words) score lower than their relevance")


class PatentHit(BaseModel):
    score: float = Field(description=_FUSED)
    calibrated_score: int | None = Field(None, description=_CALIBRATED)
    patent: PatentOut


class NeedHit(BaseModel):
    score: float = Field(description=_FUSED)
    calibrated_score: int | None = Field(None, description=_CALIBRATED)
    need: NeedOut


class PatentHits(BaseModel):
    items: list[PatentHit]


class NeedHits(BaseModel):
    items: list[NeedHit]


class EventQuery(PageQuery):
    status: EventStatus | None = None


class ListingOut(BaseModel):
    patent_id: int
    publication_number: str
    title: str
    on_stage: bool
    position: int
    summary: str | None


class EventOut(BaseModel):
    id: int
    number: str
    name: str
    held_on: date
    venue: str | None
    theme: str | None
    target_industries: str | None
    target_regions: str | None
    status: EventStatus


class EventDetail(EventOut):
    listings: list[ListingOut]


class EventList(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class NotificationQuery(PageQuery):
    unread: bool = False


class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str
    link: str | None
    created_at: UtcDateTime
    read_at: UtcDateTime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
