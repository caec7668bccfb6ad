"""Shared column types: every timestamp is timezone-aware UTC."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

# Tests may move the app's clock forward (the only thing they fake): a running app reads the
# offset in seconds from this file on every call. Unset in production, so it costs one lookup.
TEST_CLOCK_FILE = "CHAT_TEST_CLOCK_FILE"


def _test_clock_offset() -> timedelta:
    path = os.environ.get(TEST_CLOCK_FILE)
    if not path:
        return timedelta(0)
    try:
        return timedelta(seconds=float(Path(path).read_text() or 0))
    except (OSError, ValueError):
        return timedelta(0)


def utcnow() -> datetime:
    """Now, in UTC: every timestamp and every timer of the app asks this one function."""
    return datetime.now(UTC) + _test_clock_offset()


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
