"""Who answers a chat: the S4 default (B7, B8) and the chat-bot's topic rules (S6, S7, B6).

One function, ``responsible_for``, decides; every caller writes its decision
with ``assign_responsible``, which keeps the history and tells the assignee.
Nobody is handed a chat they cannot answer: every pick, automatic or by hand
(C3, P10), goes through ``may_answer`` / ``eligible_employees``: active, and a
role with «Чат: Отправка сообщений». Automatic picks go further through
``services.routing`` (P11): the department's policy, «Не в сети» and the cap.
"""

from __future__ import annotations

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
    StaffNotification,
    Topic,
    TopicRule,
    TopicRuleProject,
    Unit,
)
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import routing, staff_alerts
from chat_crm.services.history import record_change
from chat_crm.services.routing import eligible_employees, may_answer  # noqa: F401  callers import them here
from chat_crm.texts import t


def chat_settings(session: Session) -> ChatSettings:
    row = session.exec(select(ChatSettings)).first()
    return row if row is not None else ChatSettings()


def random_eligible_employee(
    session: Session, department_id: int, *, chat_id: int | None = None
) -> Employee | None:
    """The department's routing policy (P11) picks; the name is the seed's, kept for callers."""
    return routing.pick(session, department_id, chat_id=chat_id)


def default_responsible(session: Session, *, chat_id: int | None = None) -> tuple[int | None, int | None]:
    """(department, employee) from tab «Чат» → «Ответственные» (S4).

    An empty «Сотрудник», or one who may not take it now (inactive, moved, no
    «Чат: Отправка сообщений», «Не в сети», at the cap), gives the department's policy's pick.
    """
    settings = chat_settings(session)
    if settings.department_id is None:
        return None, None
    if settings.employee_id is not None:
        employee = session.get(Employee, settings.employee_id)
        if routing.may_route(session, employee, settings.department_id, chat_id=chat_id):
            return settings.department_id, settings.employee_id
    picked = random_eligible_employee(session, settings.department_id, chat_id=chat_id)
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
        staff_alerts.on_assigned(work, chat, employee_id)  # its push and e-mail, as the role chose (N1)
    chat.responsible_id = employee_id


def assign_default_responsible(work: UnitOfWork, chat: Chat) -> None:
    department_id, employee_id = default_responsible(work.session, chat_id=chat.id)
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


def _eligible(
    session: Session, employee_id: int | None, department_id: int | None, chat_id: int | None = None
) -> Employee | None:
    """A fixed employee (a rule's, S7's) wins while a policy could pick them too (P11)."""
    employee = session.get(Employee, employee_id) if employee_id else None
    return employee if routing.may_route(session, employee, department_id, chat_id=chat_id) else None


def _default_decision(session: Session, why: str, chat_id: int | None = None) -> Decision:
    department_id, employee_id = default_responsible(session, chat_id=chat_id)
    return Decision(department_id, employee_id, why)


def responsible_for(
    session: Session, *, client_id: int, topic: Topic, unit_id: int | None, chat_id: int | None = None
) -> Decision:
    """B6/S7: the responsible for (topic, unit) by the rules; S4 when no rule applies."""
    if topic == Topic.other or unit_id is None:
        return _default_decision(session, t("history.default_responsible"), chat_id)
    settings = session.exec(select(BotSettings)).first()
    if topic == Topic.acceptance and settings is not None and settings.acceptance_uses_unit_responsible:
        acceptance = session.exec(
            select(Acceptance).where(Acceptance.client_id == client_id, Acceptance.unit_id == unit_id)
        ).first()
        holder = session.get(Employee, acceptance.responsible_id) if acceptance else None
        employee = _eligible(
            session, holder.id if holder else None, holder.department_id if holder else None, chat_id
        )
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
        return _default_decision(
            session, t("history.no_rule", project=name, topic=t(f"topic.{topic}")), chat_id
        )
    employee = _eligible(session, rule.employee_id, rule.department_id, chat_id) or random_eligible_employee(
        session, rule.department_id, chat_id=chat_id
    )
    if employee is None:
        return _default_decision(session, t("history.rule_department_empty"), chat_id)
    return Decision(rule.department_id, employee.id, t("history.rule", topic=t(f"topic.{topic}")))
