"""Who answers a chat. The basic scenario (S4, B8, B7) lives here; the bot's
topic rules join it with the chat-bot issue."""

from __future__ import annotations

import random

from sqlmodel import Session, select

from chat_crm.db import UnitOfWork
from chat_crm.models import (
    AuthorKind,
    Chat,
    ChatChange,
    ChatSettings,
    Department,
    Employee,
    StaffNotification,
)
from chat_crm.texts import t

_random = random.SystemRandom()


def chat_settings(session: Session) -> ChatSettings:
    row = session.exec(select(ChatSettings)).first()
    return row if row is not None else ChatSettings()


def random_active_employee(session: Session, department_id: int) -> Employee | None:
    candidates = session.exec(
        select(Employee).where(
            Employee.department_id == department_id,
            Employee.is_active == True,  # noqa: E712
        )
    ).all()
    return _random.choice(candidates) if candidates else None


def default_responsible(session: Session) -> tuple[int | None, int | None]:
    """(department, employee) from tab «Чат» → «Ответственные» (S4).

    An empty or inactive «Сотрудник» gives a random active employee of the department.
    """
    settings = chat_settings(session)
    if settings.department_id is None:
        return None, None
    if settings.employee_id is not None:
        employee = session.get(Employee, settings.employee_id)
        if employee and employee.is_active and employee.department_id == settings.department_id:
            return settings.department_id, employee.id
    picked = random_active_employee(session, settings.department_id)
    return settings.department_id, picked.id if picked else None


def _name(session: Session, model: type[Employee] | type[Department], row_id: int | None) -> str:
    row = session.get(model, row_id) if row_id else None
    if row is None:
        return ""
    return row.full_name if isinstance(row, Employee) else row.name


def assign_responsible(
    work: UnitOfWork,
    chat: Chat,
    *,
    department_id: int | None,
    employee_id: int | None,
    actor_kind: AuthorKind,
    actor_employee_id: int | None = None,
    note: str = "",
) -> None:
    """Set the chat's department and responsible, write the history, tell the assignee."""
    session = work.session
    changes = (
        ("department", Department, chat.department_id, department_id),
        ("responsible", Employee, chat.responsible_id, employee_id),
    )
    for field, model, old, new in changes:
        if old == new:
            continue
        session.add(
            ChatChange(
                chat_id=chat.id or 0,
                actor_kind=actor_kind,
                employee_id=actor_employee_id,
                field=field,
                old_value=_name(session, model, old),
                new_value=_name(session, model, new),
                note=note,
            )
        )
    chat.department_id = department_id
    if employee_id is not None and employee_id != chat.responsible_id:
        session.add(
            StaffNotification(
                employee_id=employee_id,
                chat_id=chat.id or 0,
                kind="chat_assigned",
                text=f"Вас назначили ответственным в чате витрины №{chat.number}",
            )
        )
        work.announce("staff.notification", {"employee_id": employee_id, "chat_id": chat.id})
    chat.responsible_id = employee_id


def assign_default_responsible(work: UnitOfWork, chat: Chat) -> None:
    department_id, employee_id = default_responsible(work.session)
    assign_responsible(
        work,
        chat,
        department_id=department_id,
        employee_id=employee_id,
        actor_kind=AuthorKind.system,
        note=t("history.default_responsible"),
    )
