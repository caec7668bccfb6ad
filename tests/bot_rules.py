"""The demo's bot switched on with one rule per topic over every project, for browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, select

from chat_crm.models import BotSettings, Department, Project, Topic, TopicRule, TopicRuleProject


@contextmanager
def bot_rules_on(engine: sa.Engine) -> Iterator[None]:
    """Bot on, each topic to «Отдел сопровождения сделок» for every project; undone afterwards."""
    with Session(engine) as session:
        settings = session.exec(select(BotSettings)).one()
        saved = (settings.enabled, settings.acceptance_uses_unit_responsible)
        settings.enabled = True
        session.add(settings)
        department = session.exec(
            select(Department).where(Department.name == "Отдел сопровождения сделок")
        ).one()
        projects = session.exec(select(Project.id)).all()
        for topic in (Topic.booking, Topic.deal, Topic.acceptance, Topic.mortgage):
            rule = TopicRule(topic=topic, department_id=department.id or 0)
            session.add(rule)
            session.flush()
            session.add_all(
                TopicRuleProject(rule_id=rule.id or 0, topic=topic, project_id=p) for p in projects
            )
        session.commit()
    try:
        yield
    finally:
        with Session(engine) as session:
            session.exec(sa.delete(TopicRuleProject))  # type: ignore[call-overload]
            session.exec(sa.delete(TopicRule))  # type: ignore[call-overload]
            settings = session.exec(select(BotSettings)).one()
            settings.enabled, settings.acceptance_uses_unit_responsible = saved
            session.add(settings)
            session.commit()
