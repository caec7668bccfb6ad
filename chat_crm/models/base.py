"""Shared column types: every timestamp is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as UTC and gives them back aware.

    SQLite keeps no zone, so a value read back would be naive; this type
    re-attaches UTC so the rest of the code never meets a naive datetime.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def optional_time_field(index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def enum_column(enum_cls: type, *, default: Any = None, nullable: bool = False, index: bool = False) -> Any:
    """An enum stored as VARCHAR: no native PostgreSQL type to create, alter or share."""
    return Field(
        default=default,
        sa_type=sa.Enum(enum_cls, native_enum=False, length=20, validate_strings=True),
        nullable=nullable,
        index=index,
    )
