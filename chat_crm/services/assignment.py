"""Who answers a chat: the S4 default (B7, B8) and the chat-bot's topic rules (S6, S7, B6).

One function, ``responsible_for``, decides; every caller writes its decision
with ``assign_responsible``, which keeps the history and tells the assignee.
Nobody is handed a chat they cannot answer: every pick, automatic or by hand
(C3, P10), goes through ``may_answer`` / ``eligible_employees``: active, and a
role with «Чат: Отправка сообщений».
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork
from chat_crm.models import (
    Acceptance,
    AuthorKind,
    BotSettings,
    Building,
    Chat,
    ChatSettings,
    Department,
    Employee,
    Project,
    Role,
    StaffNotification,
    Topic,
    TopicRule,
    TopicRuleProject,
    Unit,
)
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services.access import Permission
from chat_crm.services.history import record_change
from chat_crm.texts import t

_random = random.SystemRandom()


def chat_settings(session: Session) -> ChatSettings:
    row = session.exec(select(ChatSettings)).first()
    return row if row is not None else ChatSettings()


def _may_write(role: Role | None) -> bool:
    return role is not None and Permission.chat_send.value in role.permissions


def may_answer(session: Session, employee: Employee | None, department_id: int | None) -> bool:
    """The one rule of who may be handed a chat of ``department_id``: an active employee of
    that department whose role may write to clients («Чат: Отправка сообщений»)."""
    return (
        employee is not None
        and employee.is_active
        and employee.department_id == department_id
        and _may_write(session.get(Role, employee.role_id))
    )


def eligible_employees(session: Session, department_id: int | None) -> list[Employee]:
    """Everyone ``may_answer`` allows in the department, by name: the «Ответственный» list (C3)."""
    if department_id is None:
        return []
    rows = session.exec(
        select(Employee, Role)
        .join(Role, col(Role.id) == Employee.role_id)
        .where(Employee.department_id == department_id, Employee.is_active == True)  # noqa: E712
        .order_by(col(Employee.full_name), col(Employee.id))
    ).all()
    # Permissions are a JSON list: filtered here, the same way on SQLite and PostgreSQL.
    return [employee for employee, role in rows if _may_write(role)]


def random_eligible_employee(session: Session, department_id: int) -> Employee | None:
    candidates = eligible_employees(session, department_id)
    return _random.choice(candidates) if candidates else None


def default_responsible(session: Session) -> tuple[int | None, int | None]:
    """(department, employee) from tab «Чат» → «Ответственные» (S4).

    An empty «Сотрудник», or one who may not answer (inactive, moved, no
    «Чат: Отправка сообщений»), gives a random eligible employee of the department.
    """
    settings = chat_settings(session)
    if settings.department_id is None:
        return None, None
    if settings.employee_id is not None:
        employee = session.get(Employee, settings.employee_id)
        if may_answer(session, employee, settings.department_id):
            return settings.department_id, settings.employee_id
    picked = random_eligible_employee(session, settings.department_id)
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
        # Every step of the bot is written down, even a decision that changes nothing.
        if old == new and not (actor_kind == AuthorKind.bot and field == "responsible"):
            continue
        record_change(
            work,
            chat,
            field,
            (_name(session, model, old), _name(session, model, new)),
            actor_kind=actor_kind,
            actor_employee_id=actor_employee_id,
            note=note,
        )
    chat.department_id = department_id
    # An employee who takes a chat («Назначить на меня») is not told what they just did.
    if employee_id not in (None, chat.responsible_id, actor_employee_id):
        session.add(
            StaffNotification(
                employee_id=employee_id,
                chat_id=chat.id or 0,
                kind="chat_assigned",
                text=t("notify.chat_assigned", number=chat.number),
            )
        )
        work.announce(
            ChatEvent(EventTopic.staff_notification, chat_id=chat.id or 0, employee_id=employee_id or 0)
        )
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


@dataclass(frozen=True)
class Decision:
    """Who gets a dialog, and why (the «История изменений» note)."""

    department_id: int | None
    employee_id: int | None
    note: str


def _eligible(session: Session, employee_id: int | None, department_id: int | None) -> Employee | None:
    employee = session.get(Employee, employee_id) if employee_id else None
    return employee if may_answer(session, employee, department_id) else None


def _default_decision(session: Session, why: str) -> Decision:
    department_id, employee_id = default_responsible(session)
    return Decision(department_id, employee_id, why)


def responsible_for(session: Session, *, client_id: int, topic: Topic, unit_id: int | None) -> Decision:
    """B6/S7: the responsible for (topic, unit) by the rules; S4 when no rule applies."""
    if topic == Topic.other or unit_id is None:
        return _default_decision(session, t("history.default_responsible"))
    settings = session.exec(select(BotSettings)).first()
    if topic == Topic.acceptance and settings is not None and settings.acceptance_uses_unit_responsible:
        acceptance = session.exec(
            select(Acceptance).where(Acceptance.client_id == client_id, Acceptance.unit_id == unit_id)
        ).first()
        holder = session.get(Employee, acceptance.responsible_id) if acceptance else None
        employee = _eligible(session, holder.id if holder else None, holder.department_id if holder else None)
        if employee is not None:
            return Decision(employee.department_id, employee.id, t("history.acceptance_responsible"))
    project = session.exec(
        select(Project)
        .join(Building, col(Building.project_id) == Project.id)
        .join(Unit, col(Unit.building_id) == Building.id)
        .where(Unit.id == unit_id)
    ).first()
    rule = session.exec(
        select(TopicRule)
        .join(TopicRuleProject, col(TopicRuleProject.rule_id) == TopicRule.id)
        .where(TopicRule.topic == topic, TopicRuleProject.project_id == (project.id if project else -1))
    ).first()
    if rule is None:
        name = project.name if project else t("dash")
        return _default_decision(session, t("history.no_rule", project=name, topic=t(f"topic.{topic}")))
    employee = _eligible(session, rule.employee_id, rule.department_id) or random_eligible_employee(
        session, rule.department_id
    )
    if employee is None:
        return _default_decision(session, t("history.rule_department_empty"))
    return Decision(rule.department_id, employee.id, t("history.rule", topic=t(f"topic.{topic}")))
