"""Breakdowns (P14): the dialogs started in the range by topic, project, channel and employee."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from chat_crm.models import Building, Chat, DialogRecord, Employee, Project, Unit
from chat_crm.services.reports.filters import ReportQuery, bounds, narrow, narrow_by_chat
from chat_crm.services.reports.timings import open_dialog


class Dimension(enum.StrEnum):
    topic = "topic"
    project = "project"
    channel = "channel"
    employee = "employee"


@dataclass(frozen=True)
class Slice:
    key: str  # "" for «none» (no topic, no project, nobody responsible)
    label: str  # a project's or an employee's name; topics and channels are labelled by the caller
    dialogs: int


def dialogs_in_range(query: ReportQuery) -> sa.Subquery:
    """(chat_id, responsible_id) of each dialog started in the range, finished or open."""
    start, end = bounds(query)
    r = DialogRecord.__table__.c  # type: ignore[attr-defined]
    c = Chat.__table__.c  # type: ignore[attr-defined]
    finished = sa.select(r.chat_id.label("chat_id"), r.responsible_id.label("responsible_id")).where(
        r.started_at >= start, r.started_at < end
    )
    current = sa.select(c.id, c.responsible_id).where(
        open_dialog(), c.dialog_started_at >= start, c.dialog_started_at < end
    )
    return sa.union_all(finished, current).subquery("dialogs")


def _key_and_label(
    select: sa.Select,
    dimension: Dimension,
    dialogs: sa.Subquery,  # type: ignore[type-arg]
) -> tuple[sa.Select, Any, Any]:  # type: ignore[type-arg]
    if dimension == Dimension.topic:
        return select, col(Chat.topic), col(Chat.topic)
    if dimension == Dimension.channel:
        return select, col(Chat.channel), col(Chat.channel)
    if dimension == Dimension.employee:
        select = select.outerjoin(Employee, col(Employee.id) == dialogs.c.responsible_id)
        return select, dialogs.c.responsible_id, col(Employee.full_name)
    select = (
        select.outerjoin(Unit, col(Unit.id) == Chat.unit_id)
        .outerjoin(Building, col(Building.id) == Unit.building_id)
        .outerjoin(Project, col(Project.id) == Building.project_id)
    )
    return select, col(Project.id), col(Project.name)


def breakdown(session: Session, query: ReportQuery, employee_id: int, dimension: Dimension) -> list[Slice]:
    """Largest first; ties by label."""
    dialogs = dialogs_in_range(query)
    select = sa.select().select_from(dialogs)
    if dimension == Dimension.employee:  # the chat row only when a filter reads it
        select, key, label = _key_and_label(select, dimension, dialogs)
        select = narrow_by_chat(select, dialogs.c.chat_id, query, employee_id)
    else:
        select = select.join(Chat, col(Chat.id) == dialogs.c.chat_id)
        select, key, label = _key_and_label(select, dimension, dialogs)
        select = narrow(select, query, employee_id)
    count = sa.func.count().label("n")
    select = select.add_columns(key, label, count).group_by(key, label)
    rows = session.execute(select.order_by(count.desc(), label.is_(None), label))  # «none» last
    return [Slice("" if k is None else str(getattr(k, "value", k)), lab or "", int(n)) for k, lab, n in rows]
