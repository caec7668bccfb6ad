"""What a report covers: a range of days in the partner's zone and the chat list's filters.

The filters are the list's own (``list_query.ListView``, parsed from the same URL keys by
``list_query.from_params``), so a view of the list and its report agree chat for chat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import col

from chat_crm.models import Chat, Client
from chat_crm.services import list_query as lq
from chat_crm.services.errors import ServiceError
from chat_crm.services.timefmt import today
from chat_crm.texts import t

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366  # a chart of more days than this says nothing a wider bucket would not


@dataclasses.dataclass(frozen=True)
class ReportQuery:
    """Days ``first``..``last`` (both included) and the list's filters."""

    first: date
    last: date
    view: lq.ListView = lq.ListView()

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in the partner's zone, in UTC."""
    from chat_crm.config import get_settings

    return datetime.combine(day, time.min, tzinfo=get_settings().zone).astimezone(UTC)


def bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    """[start, end) of the range in UTC."""
    return day_start(query.first), day_start(query.last + timedelta(days=1))


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def make_query(first: str, last: str, params: Mapping[str, str] | None = None) -> ReportQuery:
    """The range typed in the form (YYYY-MM-DD; empty: the last 30 days) and the list's filters."""
    end = _day(last) if last else today()
    start = _day(first) if first else (end - timedelta(days=DEFAULT_DAYS - 1) if end else None)
    if start is None or end is None:
        raise ServiceError(t("reports.bad_range"), field="range")
    if start > end:
        raise ServiceError(t("reports.range_reversed"), field="range")
    if (end - start).days >= MAX_DAYS:
        raise ServiceError(t("reports.range_too_long"), field="range")
    view = lq.from_params(params or {})
    # The list's own tab, sort and page do not apply to a report.
    view = dataclasses.replace(view, tab="all", sort=lq.SortKey.activity.value, desc=True, page=1)
    return ReportQuery(first=start, last=end, view=view)


def from_params(params: Mapping[str, str]) -> ReportQuery:
    """A report's URL: ``from``/``to`` and the chat list's keys (``?from=…&topic=deal``)."""
    return make_query(str(params.get("from", "") or ""), str(params.get("to", "") or ""), params)


def to_query(query: ReportQuery) -> str:
    """The URL query of ``query``: the range, then the list's keys."""
    head = urlencode([("from", query.first.isoformat()), ("to", query.last.isoformat())])
    tail = lq.to_query(query.view)
    return f"{head}&{tail}" if tail else head


def chat_conditions(query: ReportQuery, employee_id: int) -> list[sa.ColumnElement[bool]]:
    """The list's WHERE over ``chat`` (and ``client`` when it searches by name)."""
    return lq.conditions(query.view, employee_id)


def narrow(select: sa.Select, query: ReportQuery, employee_id: int) -> sa.Select:  # type: ignore[type-arg]
    """``select`` (which already has ``chat`` in its FROM) narrowed to the chats of the view;
    ``client`` is joined only when the search needs it."""
    where = chat_conditions(query, employee_id)
    if not where:
        return select
    if lq.needs_client_join(query.view):
        select = select.join(Client, col(Client.id) == Chat.client_id)
    return select.where(*where)


def narrow_by_chat(select: sa.Select, chat_id: Any, query: ReportQuery, employee_id: int) -> sa.Select:  # type: ignore[type-arg]
    """``select`` over a table that names its chat by ``chat_id``, narrowed to the chats of
    the view; ``chat`` is joined only when a filter reads it (an unfiltered report over a
    million chats reads no chat row)."""
    if not chat_conditions(query, employee_id):
        return select
    return narrow(select.join(Chat, col(Chat.id) == chat_id), query, employee_id)
