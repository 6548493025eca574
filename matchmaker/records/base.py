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


#: Indexes created on one database only (``Index(...).ddl_if(dialect=...)``), by name.
DIALECT_ONLY_INDEXES: dict[str, str] = {}


def dialect_only(index, dialect: str):
    """``index`` is created on ``dialect`` only, and autogenerate leaves it alone elsewhere."""
    DIALECT_ONLY_INDEXES[index.name] = dialect
    return index.ddl_if(dialect=dialect)


def schema_filter(dialect: str):
    """Alembic's ``include_object`` for a database of ``dialect``: an index meant for another
    database is neither missing there nor to be created."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        return not (type_ == "index" and DIALECT_ONLY_INDEXES.get(name, dialect) != dialect)
    return include
