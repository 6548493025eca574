"""Shapes shared by every resource: problems, pages, plain text without HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Markup as a browser reads it: a tag name right after "<" up to its ">", a closing tag, a
#: comment, doctype or processing instruction, and the usual injection tags even unclosed.
#: Comparisons in technical text ("T<Tc", "x < y", "a < b and c > d") are plain text: the
#: portal's forms and the import take them, and the API refused them.
_TAG = re.compile(
    r"<(?:/?[a-zA-Z][a-zA-Z0-9-]*(?:[\s/][^<>]*)?>|![-\[a-zA-Z]|\?[a-zA-Z])"
    r"|<\s*/?\s*(?:script|iframe|object|embed|svg|img|style|link|meta|form|input)\b",
    re.IGNORECASE,
)


def _no_html(value: str) -> str:
    if _TAG.search(value):
        raise ValueError("HTML is not accepted in this field; send plain text")
    if "\x00" in value:
        raise ValueError("NUL characters are not accepted")
    return value


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


#: The database stores naive UTC; answers say so (RFC 3339 needs an offset).
UtcDateTime = Annotated[datetime, AfterValidator(_aware)]

#: Text fields are plain text: markup is refused on input and never produced on output.
PlainText = Annotated[str, AfterValidator(_no_html)]


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    field: str | None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class OrgRef(BaseModel):
    id: int
    name: str


class PageQuery(Strict):
    cursor: str | None = Field(None, max_length=200, description="from `next_cursor`")
    limit: int | None = Field(None, ge=1, le=100)


class Message(BaseModel):
    detail: str
