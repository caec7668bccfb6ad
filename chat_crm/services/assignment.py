"""Who answers a chat: the S4 default (B7, B8) and the chat-bot's topic rules (S6, S7, B6).

One function, ``responsible_for``, decides; every caller writes its decision
with ``assign_responsible``, which keeps the history and tells the assignee.
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
    ChatChange,
    ChatSettings,
    Department,
    Employee,
    Project,
    StaffNotification,
    Topic,
    TopicRule,
    TopicRuleProject,
    Unit,
)
from chat_crm.realtime import ChatEvent, EventTopic
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
        # Every step of the bot is written down, even a decision that changes nothing.
        if old == new and not (actor_kind == AuthorKind.bot and field == "responsible"):
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
        work.announce(ChatEvent(EventTopic.staff_notification, chat_id=chat.id or 0, employee_id=employee_id))
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


def _active_in(session: Session, employee_id: int | None, department_id: int) -> Employee | None:
    employee = session.get(Employee, employee_id) if employee_id else None
    if employee and employee.is_active and employee.department_id == department_id:
        return employee
    return None


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
        employee = (
            session.get(Employee, acceptance.responsible_id)
            if acceptance and acceptance.responsible_id
            else None
        )
        if employee is not None and employee.is_active:
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
    employee = _active_in(session, rule.employee_id, rule.department_id) or random_active_employee(
        session, rule.department_id
    )
    if employee is None:
        return _default_decision(session, t("history.rule_department_empty"))
    return Decision(rule.department_id, employee.id, t("history.rule", topic=t(f"topic.{topic}")))
