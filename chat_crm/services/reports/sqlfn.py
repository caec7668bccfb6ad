"""The SQL that differs between PostgreSQL and SQLite, in one place: a local day, a duration
in seconds, and percentiles (``percentile_cont`` on PostgreSQL, a window-function form that
gives the same interpolated value on SQLite)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from chat_crm.config import get_settings

FRACTIONS = (0.5, 0.9)


def _offset_segments(start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(from when, UTC offset in minutes) of the partner's zone over [start, end): one segment
    unless a clock change falls inside. Walks hours of the range, never rows."""
    zone = get_settings().zone
    segments: list[tuple[datetime, int]] = []
    moment = start
    while moment < end + timedelta(hours=1):
        offset = int((moment.astimezone(zone).utcoffset() or timedelta(0)).total_seconds() // 60)
        if not segments or segments[-1][1] != offset:
            segments.append((moment, offset))
        moment += timedelta(hours=1)
    return segments


def local_day(dialect: str, column: Any, start: datetime, end: datetime) -> sa.ColumnElement[Any]:
    """The calendar day of ``column`` in the partner's zone: a date on PostgreSQL, text
    ``YYYY-MM-DD`` on SQLite (``as_day`` reads both)."""
    if dialect == "postgresql":
        # A cast to date is much cheaper per row than formatting text.
        return sa.cast(sa.func.timezone(get_settings().time_zone, column), sa.Date)
    segments = _offset_segments(start, end)

    def shifted(minutes: int) -> sa.ColumnElement[Any]:
        return sa.func.date(column, f"{minutes:+d} minutes")

    if len(segments) == 1:
        return shifted(segments[0][1])
    whens = [
        (column < since.astimezone(UTC), shifted(prev[1]))
        for prev, (since, _) in zip(segments, segments[1:], strict=False)
    ]
    return sa.case(*whens, else_=shifted(segments[-1][1]))


def seconds_between(dialect: str, start: Any, end: Any) -> sa.ColumnElement[float]:
    if dialect == "postgresql":
        return sa.func.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def percentiles(
    session: Any,
    values: sa.Select,
    fractions: Sequence[float] = FRACTIONS,  # type: ignore[type-arg]
) -> list[tuple[Any, int, list[float]]]:
    """For ``values`` (columns ``g``, ``d``): per group ``g``, the count and the ``fractions``
    percentiles of ``d``, interpolated like ``percentile_cont``. Computed in the database."""
    sub = values.subquery("v")
    if session.get_bind().dialect.name == "postgresql":
        cols = [sa.func.percentile_cont(f).within_group(sub.c.d.asc()) for f in fractions]
        query = sa.select(sub.c.g, sa.func.count(), *cols).group_by(sub.c.g).order_by(sub.c.g)
    else:
        query = _window_percentiles(sub, fractions)
    return [(row[0], int(row[1]), [float(v) for v in row[2:]]) for row in session.execute(query)]


def _window_percentiles(sub: sa.Subquery, fractions: Sequence[float]) -> sa.Select:  # type: ignore[type-arg]
    """Row numbers within each group, then the two neighbours of each position p·(n−1)."""
    ranked = sa.select(
        sub.c.g,
        sub.c.d,
        (sa.func.row_number().over(partition_by=sub.c.g, order_by=sub.c.d) - 1).label("i"),
        sa.func.count().over(partition_by=sub.c.g).label("n"),
    ).subquery("r")
    cols: list[Any] = []
    for fraction in fractions:
        pos = (ranked.c.n - 1) * fraction
        low = sa.cast(pos, sa.Integer)  # positions are never negative: the cast is floor
        at_low = sa.func.max(sa.case((ranked.c.i == low, ranked.c.d)))
        at_high = sa.func.max(sa.case((ranked.c.i == low + 1, ranked.c.d)))
        frac = sa.func.max(pos - low)
        cols.append(at_low + frac * (sa.func.coalesce(at_high, at_low) - at_low))
    return sa.select(ranked.c.g, sa.func.max(ranked.c.n), *cols).group_by(ranked.c.g).order_by(ranked.c.g)
