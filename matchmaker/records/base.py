"""Shared column helpers for the ORM classes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import Mapped, mapped_column

from .enums import enum_column_values


def utcnow() -> datetime:
    """Naive UTC now, used as a callable default.

    Stored naive on purpose: SQLite drops offsets, so aware values would compare
    differently on SQLite and PostgreSQL. Everything in the database is UTC.
    """
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls, name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint, never a native PG type."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=enum_column_values,
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(), default=utcnow, onupdate=utcnow
    )
