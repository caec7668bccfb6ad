"""First-response and resolution times (P14), median and p90, overall and per day.

First response: from a dialog's start (the client's first message, or the bot's greeting)
to the first message an employee wrote in it, for the dialogs started in the range, finished
(``dialog_record``) or still open (the chat row). Resolution: from start to close, for the
dialogs closed in the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from chat_crm.models import Chat, DialogRecord
from chat_crm.services.reports.filters import ReportQuery, bounds, narrow, narrow_by_chat
from chat_crm.services.reports.sqlfn import as_day, local_day, percentiles, seconds_between

ALL = "all"


@dataclass(frozen=True)
class Timing:
    count: int
    median: float  # seconds
    p90: float


@dataclass(frozen=True)
class TimingReport:
    overall: Timing | None  # None: no dialog in the range
    by_day: list[tuple[date, Timing]]


def open_dialog() -> sa.ColumnElement[bool]:
    """Inline constant: the partial indexes ``ix_chat_open_*`` match even a generic plan."""
    return Chat.__table__.c.dialog_state != sa.literal_column("'closed'")  # type: ignore[attr-defined]


def _group(session: Session, query: ReportQuery, column: Any, per_day: bool) -> sa.ColumnElement[Any]:
    if not per_day:
        return sa.literal(ALL).label("g")
    start, end = bounds(query)
    return local_day(session.get_bind().dialect.name, column, start, end).label("g")


def _first_response_values(session: Session, query: ReportQuery, employee_id: int, per_day: bool) -> Any:
    dialect = session.get_bind().dialect.name
    start, end = bounds(query)
    r = DialogRecord.__table__.c  # type: ignore[attr-defined]
    finished = sa.select(
        _group(session, query, r.started_at, per_day),
        seconds_between(dialect, r.started_at, r.first_response_at).label("d"),
    ).where(r.started_at >= start, r.started_at < end, r.first_response_at.is_not(None))
    finished = narrow_by_chat(finished, r.chat_id, query, employee_id)
    c = Chat.__table__.c  # type: ignore[attr-defined]
    current = sa.select(
        _group(session, query, c.dialog_started_at, per_day),
        seconds_between(dialect, c.dialog_started_at, c.first_response_at).label("d"),
    ).where(
        open_dialog(),
        c.dialog_started_at >= start,
        c.dialog_started_at < end,
        c.first_response_at >= c.dialog_started_at,
    )
    return sa.union_all(finished, narrow(current.select_from(Chat), query, employee_id))


def _resolution_values(session: Session, query: ReportQuery, employee_id: int, per_day: bool) -> Any:
    dialect = session.get_bind().dialect.name
    start, end = bounds(query)
    r = DialogRecord.__table__.c  # type: ignore[attr-defined]
    select = sa.select(
        _group(session, query, r.closed_at, per_day),
        seconds_between(dialect, r.started_at, r.closed_at).label("d"),
    ).where(r.closed_at >= start, r.closed_at < end)
    return narrow_by_chat(select, r.chat_id, query, employee_id)


def _report(session: Session, values: Any) -> TimingReport:
    overall = percentiles(session, values(False))
    by_day = percentiles(session, values(True))
    return TimingReport(
        overall=Timing(overall[0][1], *overall[0][2]) if overall else None,
        by_day=[(as_day(g), Timing(n, *p)) for g, n, p in by_day],
    )


def first_response(session: Session, query: ReportQuery, employee_id: int) -> TimingReport:
    return _report(session, lambda per_day: _first_response_values(session, query, employee_id, per_day))


def resolution(session: Session, query: ReportQuery, employee_id: int) -> TimingReport:
    return _report(session, lambda per_day: _resolution_values(session, query, employee_id, per_day))
