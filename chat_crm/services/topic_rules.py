"""«Поддержка» → «Настройки» → «Чат-бот», the rules of a topic (S6, S7): which department, and
optionally which employee, takes a chat on that topic about a unit of these projects."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Department, Employee, Project, Topic, TopicRule, TopicRuleProject
from chat_crm.services.assignment import may_answer
from chat_crm.services.bot_settings import TopicSummary, bot_topics, require_bot_tab, topic_summaries
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.settings import Option, employees_of_department_in
from chat_crm.texts import t


@dataclass(frozen=True)
class RuleRow:
    """A stored rule as the editor shows it, with its department's employees for «Сотрудник»."""

    project_ids: list[int]
    department_id: int
    employee_id: int | None
    employees: list[Option]


@dataclass(frozen=True)
class RuleInput:
    """A rule as the editor submits it."""

    project_ids: list[int]
    department_id: int | None
    employee_id: int | None


def _bot_topic(session: Session, topic: str) -> Topic:
    """A topic of the bot, or the same «not found» for a made-up one and for one not bought."""
    try:
        value = Topic(topic)
    except ValueError:
        value = None
    if value is None or value not in bot_topics(session):
        raise NotFound(t("error.not_found"))
    return value


def _stored_rules(session: Session, topic: Topic) -> list[TopicRule]:
    return list(
        session.exec(
            select(TopicRule)
            .where(TopicRule.topic == topic)
            .order_by(col(TopicRule.position), col(TopicRule.id))
        ).all()
    )


def topic_rules(*, employee_id: int | None, topic: str) -> list[RuleRow]:
    """The rules of a topic, in order, as editable rows."""
    with read_session() as session:
        require_bot_tab(session, employee_id)
        value = _bot_topic(session, topic)
        rows = []
        for rule in _stored_rules(session, value):
            projects = session.exec(
                select(TopicRuleProject.project_id)
                .where(TopicRuleProject.rule_id == rule.id)
                .order_by(col(TopicRuleProject.id))
            ).all()
            rows.append(
                RuleRow(
                    project_ids=list(projects),
                    department_id=rule.department_id,
                    employee_id=rule.employee_id,
                    employees=employees_of_department_in(session, rule.department_id),
                )
            )
        return rows


def rule_employees(*, employee_id: int | None, department_id: int | None) -> list[Option]:
    """«Сотрудник» of a rule after its «Подразделение» changes: that department's active employees."""
    with read_session() as session:
        require_bot_tab(session, employee_id)
        return employees_of_department_in(session, department_id)


def _quoted(name: str) -> str:
    # Demo names already carry their own guillemets («ЖК «Северный парк»»): do not double them.
    return name if "«" in name else f"«{name}»"


def _check_rule(session: Session, rule: RuleInput, n: int, taken: set[int]) -> list[int]:
    """One rule, checked as the modal shows it: projects, then department, then employee."""
    field = f"rule-{n}"
    # A browser can send the same project twice in one rule: once is what it means.
    project_ids = list(dict.fromkeys(rule.project_ids))
    if not project_ids:
        raise ServiceError(t("bot_settings.rule_projects_required"), field=f"{field}.projects")
    for project_id in project_ids:
        project = session.get(Project, project_id)
        if project is None:
            raise ServiceError(t("bot_settings.project_unknown"), field=f"{field}.projects")
        if project_id in taken:
            # S6: each rule covers other projects, else the assignment would be ambiguous.
            message = t("bot_settings.project_in_other_rule", project=_quoted(project.name))
            raise ServiceError(message, field=f"{field}.projects")
    if rule.department_id is None:
        raise ServiceError(t("settings.department_required"), field=f"{field}.department")
    if session.get(Department, rule.department_id) is None:
        raise ServiceError(t("settings.department_unknown"), field=f"{field}.department")
    if rule.employee_id is not None:
        employee = session.get(Employee, rule.employee_id)
        if employee is None or not employee.is_active or employee.department_id != rule.department_id:
            raise ServiceError(t("settings.employee_not_in_department"), field=f"{field}.employee")
        if not may_answer(session, employee, rule.department_id):
            raise ServiceError(t("settings.employee_cannot_write"), field=f"{field}.employee")
    taken.update(project_ids)
    return project_ids


def save_topic_rules(*, employee_id: int | None, topic: str, rules: list[RuleInput]) -> list[TopicSummary]:
    """Replace every rule of ``topic`` in one transaction; an error writes nothing.

    Returns the new topic list, so a screen updates the summaries without touching its unsaved form.
    An empty ``rules`` clears the topic.
    """
    with unit_of_work() as work:
        session = work.session
        require_bot_tab(session, employee_id)
        value = _bot_topic(session, topic)
        taken: set[int] = set()
        checked = [_check_rule(session, rule, n, taken) for n, rule in enumerate(rules, start=1)]
        # Projects first: the unique (topic, project) index must be free before the new rows go in.
        session.execute(sa.delete(TopicRuleProject).where(col(TopicRuleProject.topic) == value))
        session.execute(sa.delete(TopicRule).where(col(TopicRule.topic) == value))
        for position, (rule, project_ids) in enumerate(zip(rules, checked, strict=True)):
            row = TopicRule(
                topic=value,
                department_id=rule.department_id or 0,
                employee_id=rule.employee_id,
                position=position,
            )
            session.add(row)
            session.flush()
            session.add_all(
                TopicRuleProject(rule_id=row.id or 0, topic=value, project_id=p) for p in project_ids
            )
        session.flush()
        return topic_summaries(session)
