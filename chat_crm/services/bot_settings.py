"""«Поддержка» → «Настройки», tab «Чат-бот» (S5, S8–S11): the BotSettings row; topic rules are in
services/topic_rules.py.

The bot dialog reads the same rows; ``bot_tab_available`` and ``bot_topics`` are the one place that
says whether the bot exists at all and which topics it offers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import (
    BotSettings,
    Department,
    Employee,
    PartnerSettings,
    Project,
    Topic,
    TopicRule,
)
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.settings import Option
from chat_crm.texts import t

# The column's own length, so the form, the service and the schema cannot drift apart (S11).
TEXT_LIMIT: int = BotSettings.__table__.c.greeting_text.type.length  # type: ignore[attr-defined]
TEXT_FIELDS: tuple[str, ...] = (
    "greeting_text",
    "prompt_unit_text",
    "prompt_topic_text",
    "before_transfer_text",
    "resolved_text",
    "no_reply_text",
)
# Largest first: a stored number of minutes is shown in the largest unit that divides it exactly.
RESTART_UNITS: dict[str, int] = {"days": 24 * 60, "hours": 60, "minutes": 1}
RESTART_MAX_MINUTES = 30 * 24 * 60
# The spec's order (S6), each topic with the product the partner must have bought for it (S5).
_TOPIC_PRODUCTS: tuple[tuple[Topic, str], ...] = (
    (Topic.deal, "has_deal"),
    (Topic.booking, "has_booking"),
    (Topic.acceptance, "has_acceptance"),
    (Topic.mortgage, "has_mortgage"),
)


# ---- what the bot has: used by the tab and by the bot dialog ---------------------------------


def bot_topics(session: Session) -> tuple[Topic, ...]:
    """The topics whose product the partner bought, in the spec's order; empty means no bot (S5)."""
    partner = session.exec(select(PartnerSettings)).first()
    if partner is None:
        return ()
    return tuple(topic for topic, product in _TOPIC_PRODUCTS if getattr(partner, product))


def bot_tab_available(session: Session) -> bool:
    """S5: tab «Чат-бот» (and the bot) exist only with at least one of the four products."""
    return bool(bot_topics(session))


def bot_tab_available_for(*, employee_id: int | None) -> bool:
    """The same, for a screen: whether this employee sees tab «Чат-бот»."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_settings)
        return bot_tab_available(session)


def bot_settings_row(session: Session) -> BotSettings:
    """The one row, or the defaults (bot off) when it was never saved."""
    return session.exec(select(BotSettings)).first() or BotSettings()


# ---- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSummary:
    """A line of the topic list: «Ипотека — 2 правила» and its pencil."""

    topic: str  # Topic value, the argument of the editor's events
    label: str
    summary: str
    edit_label: str  # the pencil's accessible name
    configured: bool


@dataclass(frozen=True)
class BotSettingsView:
    """What tab «Чат-бот» shows; ids travel as strings, "" meaning «not chosen», like the browser's."""

    enabled: bool
    greeting_employee_id: str
    greeting_text: str
    prompt_unit_text: str
    prompt_topic_text: str
    before_transfer_text: str
    resolved_text: str
    no_reply_text: str
    restart_value: str
    restart_unit: str  # a key of RESTART_UNITS
    acceptance_uses_unit_responsible: bool
    topics: list[TopicSummary]
    employees: list[Option]  # «Сотрудник, от имени которого приветствие»: every active employee
    projects: list[Option]
    departments: list[Option]


def restart_parts(minutes: int) -> tuple[str, str]:
    """(number, unit) in the largest unit that divides ``minutes`` exactly: 2880 → ("2", "days")."""
    for unit, size in RESTART_UNITS.items():
        if minutes > 0 and minutes % size == 0:
            return str(minutes // size), unit
    return str(minutes), "minutes"


def _rules_summary(count: int) -> str:
    if count == 0:
        return t("bot_settings.not_configured")
    # Russian plural: 1, 21 правило; 2–4, 22–24 правила; 5–20, 11–14 правил.
    if count % 10 == 1 and count % 100 != 11:
        key = "bot_settings.rules_one"
    elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        key = "bot_settings.rules_few"
    else:
        key = "bot_settings.rules_many"
    return t(key, n=count)


def topic_summaries(session: Session) -> list[TopicSummary]:
    counts = dict(
        session.exec(select(TopicRule.topic, sa.func.count()).group_by(TopicRule.topic)).all()  # type: ignore[arg-type]
    )
    summaries = []
    for topic in bot_topics(session):
        label = t(f"topic.{topic.value}")
        count = counts.get(topic, 0)
        summaries.append(
            TopicSummary(
                topic=topic.value,
                label=label,
                summary=_rules_summary(count),
                edit_label=t("bot_settings.edit_rules", topic=label),
                configured=count > 0,
            )
        )
    return summaries


def _options(session: Session) -> tuple[list[Option], list[Option], list[Option]]:
    employees = session.exec(
        select(Employee).where(Employee.is_active == True).order_by(Employee.full_name)  # noqa: E712
    ).all()
    projects = session.exec(select(Project).order_by(Project.name)).all()
    departments = session.exec(select(Department).order_by(Department.name)).all()
    return (
        [Option(value=str(e.id), label=e.full_name) for e in employees],
        [Option(value=str(p.id), label=p.name) for p in projects],
        [Option(value=str(d.id), label=d.name) for d in departments],
    )


def _view(session: Session, row: BotSettings) -> BotSettingsView:
    value, unit = restart_parts(row.restart_after_minutes)
    employees, projects, departments = _options(session)
    return BotSettingsView(
        enabled=row.enabled,
        greeting_employee_id=str(row.greeting_employee_id) if row.greeting_employee_id else "",
        greeting_text=row.greeting_text,
        prompt_unit_text=row.prompt_unit_text,
        prompt_topic_text=row.prompt_topic_text,
        before_transfer_text=row.before_transfer_text,
        resolved_text=row.resolved_text,
        no_reply_text=row.no_reply_text,
        restart_value=value,
        restart_unit=unit,
        acceptance_uses_unit_responsible=row.acceptance_uses_unit_responsible,
        topics=topic_summaries(session),
        employees=employees,
        projects=projects,
        departments=departments,
    )


def require_bot_tab(session: Session, employee_id: int | None) -> None:
    """Rights first, then S5: without a product there is no tab, whatever event a browser sends."""
    require_employee(session, employee_id, Permission.support_settings)
    if not bot_tab_available(session):
        raise NotFound(t("bot_settings.unavailable"))


def read_bot_settings(*, employee_id: int | None) -> BotSettingsView:
    with read_session() as session:
        require_bot_tab(session, employee_id)
        return _view(session, bot_settings_row(session))


# ---- the main form (S8–S11) -------------------------------------------------------------------


_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would also take «٣» or «1_000»


def parse_restart(value: str, unit: str) -> int:
    """«Повторный запуск» as minutes: a whole positive number of minutes, hours or days, ≤ 30 days."""
    text = value.strip()
    if unit not in RESTART_UNITS or not _WHOLE_NUMBER.fullmatch(text) or int(text) == 0:
        raise ServiceError(t("bot_settings.restart_invalid"), field="restart")
    minutes = int(text) * RESTART_UNITS[unit]
    if minutes > RESTART_MAX_MINUTES:
        raise ServiceError(t("bot_settings.restart_too_long"), field="restart")
    return minutes


def _check_text(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > TEXT_LIMIT:
        raise ServiceError(t("bot_settings.too_long", limit=TEXT_LIMIT, n=len(text)), field=field)
    return text


def _check_greeting_employee(session: Session, greeting_employee_id: int | None) -> int | None:
    if greeting_employee_id is None:
        return None
    employee = session.get(Employee, greeting_employee_id)
    if employee is None or not employee.is_active:
        raise ServiceError(t("bot_settings.greeting_employee_inactive"), field="greeting_employee")
    return employee.id


def _check_enabled(session: Session, enabled: bool) -> bool:
    """S8: the bot on with no topic configured would lead every client nowhere."""
    if enabled and not any(s.configured for s in topic_summaries(session)):
        raise ServiceError(t("bot_settings.no_topic_configured"), field="enabled")
    return bool(enabled)


def save_bot_settings(
    *,
    employee_id: int | None,
    enabled: bool,
    greeting_employee_id: int | None,
    greeting_text: str,
    prompt_unit_text: str,
    prompt_topic_text: str,
    before_transfer_text: str,
    resolved_text: str,
    no_reply_text: str,
    restart_value: str,
    restart_unit: str,
    acceptance_uses_unit_responsible: bool,
) -> BotSettingsView:
    """Check rights and limits on the server (any browser can call the event), then write the one row.

    Checked in the order the fields appear on the tab, so the first error is the topmost one.
    """
    texts = {
        "greeting_text": greeting_text,
        "prompt_unit_text": prompt_unit_text,
        "prompt_topic_text": prompt_topic_text,
        "before_transfer_text": before_transfer_text,
        "resolved_text": resolved_text,
        "no_reply_text": no_reply_text,
    }
    with unit_of_work() as work:
        session = work.session
        require_bot_tab(session, employee_id)
        clean_enabled = _check_enabled(session, enabled)
        greeting_employee = _check_greeting_employee(session, greeting_employee_id)
        clean_texts = {field: _check_text(value, field) for field, value in texts.items()}
        minutes = parse_restart(restart_value, restart_unit)
        row = session.exec(select(BotSettings)).first() or BotSettings()
        row.enabled = clean_enabled
        row.greeting_employee_id = greeting_employee
        for field, value in clean_texts.items():
            setattr(row, field, value)
        row.restart_after_minutes = minutes
        row.acceptance_uses_unit_responsible = bool(acceptance_uses_unit_responsible)
        session.add(row)
        session.flush()
        return _view(session, row)
