"""Chat and chat-bot settings, topic rules and per-employee preferences."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, UniqueConstraint

from chat_crm.models.base import enum_column
from chat_crm.models.chat import Topic


class ChatSettings(SQLModel, table=True):
    """Tab «Чат» (S1–S4): one row."""

    __tablename__ = "chat_settings"

    id: int | None = Field(default=None, primary_key=True)
    show_in_storefront: bool = True  # «Отображать на витрине»
    consent_notice: bool = True  # «Условия обработки персональных данных»
    welcome_title: str = Field(default="", max_length=30)
    welcome_text: str = Field(default="", max_length=100)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    employee_id: int | None = Field(default=None, foreign_key="employee.id")


class BotSettings(SQLModel, table=True):
    """Tab «Чат-бот» (S6–S11): one row."""

    __tablename__ = "bot_settings"

    id: int | None = Field(default=None, primary_key=True)
    enabled: bool = False
    greeting_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    greeting_text: str = Field(default="", max_length=255)
    prompt_unit_text: str = Field(default="", max_length=255)
    prompt_topic_text: str = Field(default="", max_length=255)
    before_transfer_text: str = Field(default="", max_length=255)
    resolved_text: str = Field(default="", max_length=255)
    no_reply_text: str = Field(default="", max_length=255)
    restart_after_minutes: int = 24 * 60
    acceptance_uses_unit_responsible: bool = False  # S7


class TopicRule(SQLModel, table=True):
    """An auto-assignment rule of a topic (S6)."""

    __tablename__ = "topic_rule"

    id: int | None = Field(default=None, primary_key=True)
    topic: Topic = enum_column(Topic, index=True)
    department_id: int = Field(foreign_key="department.id")
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    position: int = 0


class TopicRuleProject(SQLModel, table=True):
    """A project of a rule. ``topic`` is repeated so the database itself keeps
    a project in at most one rule of a topic."""

    __tablename__ = "topic_rule_project"
    __table_args__ = (UniqueConstraint("topic", "project_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("topic_rule.id", ondelete="CASCADE"), nullable=False)
    )
    topic: Topic = enum_column(Topic)
    project_id: int = Field(foreign_key="project.id")


class EmployeePreference(SQLModel, table=True):
    """What an employee chose for the chat list, e.g. hidden columns (L4)."""

    __tablename__ = "employee_preference"

    employee_id: int = Field(foreign_key="employee.id", primary_key=True)
    hidden_columns: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
