"""Volume per day (P14): new chats and messages, days in the partner's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from chat_crm.models import Chat, Message
from chat_crm.services.reports.filters import ReportQuery, bounds, narrow, narrow_by_chat
from chat_crm.services.reports.sqlfn import as_day, local_day


@dataclass(frozen=True)
class DayVolume:
    day: date
    chats: int = 0  # chats created that day
    messages: int = 0  # every message written that day: client, staff and bot
    client_messages: int = 0
    staff_messages: int = 0


def _chats_per_day(session: Session, query: ReportQuery, employee_id: int) -> dict[date, int]:
    start, end = bounds(query)
    day = local_day(session.get_bind().dialect.name, Chat.created_at, start, end).label("day")
    select = sa.select(day, sa.func.count()).where(col(Chat.created_at) >= start, col(Chat.created_at) < end)
    select = narrow(select.select_from(Chat), query, employee_id).group_by(day)
    return {as_day(d): int(n) for d, n in session.execute(select)}


def _messages_per_day(
    session: Session, query: ReportQuery, employee_id: int
) -> dict[date, tuple[int, int, int]]:
    m = Message.__table__.c  # type: ignore[attr-defined]
    start, end = bounds(query)
    day = local_day(session.get_bind().dialect.name, m.created_at, start, end).label("day")
    kind = lambda value: sa.func.sum(sa.case((m.author_kind == value, 1), else_=0))  # noqa: E731
    select = sa.select(day, sa.func.count(), kind("client"), kind("employee")).where(
        m.created_at >= start, m.created_at < end
    )
    rows = session.execute(narrow_by_chat(select, m.chat_id, query, employee_id).group_by(day))
    return {as_day(d): (int(n), int(c or 0), int(e or 0)) for d, n, c, e in rows}


def volume(session: Session, query: ReportQuery, employee_id: int) -> list[DayVolume]:
    """Every day of the range, in order; a day without activity is all zeros."""
    chats = _chats_per_day(session, query, employee_id)
    messages = _messages_per_day(session, query, employee_id)
    return [DayVolume(day, chats.get(day, 0), *messages.get(day, (0, 0, 0))) for day in query.days]
