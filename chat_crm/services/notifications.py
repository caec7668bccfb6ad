"""The employee's in-app notification list: e.g. «Вас назначили ответственным…» (B6)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, func, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import StaffNotification, utcnow
from chat_crm.services.access import active_employee
from chat_crm.services.timefmt import format_datetime


@dataclass(frozen=True)
class StaffNotificationView:
    id: int
    text: str
    when: str
    chat_id: int
    unread: bool


@dataclass(frozen=True)
class StaffInbox:
    latest: list[StaffNotificationView]
    unread: int


def staff_inbox(*, employee_id: int, limit: int = 20) -> StaffInbox:
    """The newest notifications of the acting employee, and how many are unread."""
    with read_session() as session:
        employee = active_employee(session, employee_id)
        mine = StaffNotification.employee_id == employee.id
        rows = session.exec(
            select(StaffNotification).where(mine).order_by(col(StaffNotification.id).desc()).limit(limit)
        ).all()
        unread = session.exec(
            select(func.count(col(StaffNotification.id))).where(
                mine, col(StaffNotification.read_at).is_(None)
            )
        ).one()
        return StaffInbox(
            latest=[
                StaffNotificationView(
                    id=n.id or 0,
                    text=n.text,
                    when=format_datetime(n.created_at),
                    chat_id=n.chat_id,
                    unread=n.read_at is None,
                )
                for n in rows
            ],
            unread=unread,
        )


def mark_staff_inbox_read(*, employee_id: int) -> None:
    with unit_of_work() as work:
        employee = active_employee(work.session, employee_id)
        work.session.exec(  # type: ignore[call-overload]
            sa.update(StaffNotification)
            .where(
                col(StaffNotification.employee_id) == employee.id, col(StaffNotification.read_at).is_(None)
            )
            .values(read_at=utcnow())
        )
