"""Open dialogs per employee (P14): the team's load now, under the list's filters."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from chat_crm.models import Chat, Employee
from chat_crm.services.reports.filters import ReportQuery, narrow
from chat_crm.services.reports.timings import open_dialog


@dataclass(frozen=True)
class EmployeeLoad:
    employee_id: int | None  # None: «Без ответственного»
    name: str
    open_dialogs: int


def open_dialogs(session: Session, query: ReportQuery, employee_id: int) -> list[EmployeeLoad]:
    """Most loaded first. A snapshot: the range does not apply, the filters do."""
    count = sa.func.count().label("n")
    select = (
        sa.select(Chat.responsible_id, count)
        .select_from(Chat)
        .where(open_dialog())
        .group_by(Chat.responsible_id)
    )
    per_employee = narrow(select, query, employee_id).subquery("load")
    rows = session.execute(
        sa.select(per_employee.c.responsible_id, Employee.full_name, per_employee.c.n)
        .outerjoin(Employee, col(Employee.id) == per_employee.c.responsible_id)
        .order_by(per_employee.c.n.desc(), col(Employee.full_name).is_(None), Employee.full_name)
    )
    return [EmployeeLoad(rid, name or "", int(n)) for rid, name, n in rows]
