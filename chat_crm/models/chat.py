"""Chats, their messages, attachments and change history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from chat_crm.models.base import created_at_field, enum_column, optional_time_field
from chat_crm.models.realty import Channel


class Topic(enum.StrEnum):
    acceptance = "acceptance"  # «Приемка»
    deal = "deal"  # «Сделка»
    booking = "booking"  # «Бронирование»
    mortgage = "mortgage"  # «Ипотека»
    other = "other"  # «Другой вопрос»


class DialogState(enum.StrEnum):
    bot = "bot"  # the chat-bot is leading the client to a topic
    open = "open"  # a dialog is going on with an employee
    closed = "closed"  # no dialog: the next client entry starts a new one


class BotStep(enum.StrEnum):
    none = "none"
    choose_unit = "choose_unit"
    choose_topic = "choose_topic"
    transferred = "transferred"


class AuthorKind(enum.StrEnum):
    client = "client"
    employee = "employee"
    bot = "bot"
    system = "system"


class DialogMark(enum.StrEnum):
    """Where a message stands in the chat's dialogs (P5): the line drawn beside it."""

    opened = "opened"  # the first message of a new dialog: «Новый диалог» above it
    resolved = "resolved"  # the closing text: «Диалог завершен: Вопрос решен» below it
    no_reply = "no_reply"  # the closing text: «Диалог завершен: Пользователь не ответил»


class DeepLinkKind(enum.StrEnum):
    project_card = "project_card"  # «Детальная карточка проекта»
    ready_units = "ready_units"  # «Список готовых помещений проекта»
    mortgage_calculator = "mortgage_calculator"  # «Калькулятор ипотеки»
    installments = "installments"  # «Рассрочка»


class Chat(SQLModel, table=True):
    """The one chat of a client (M10): every dialog of the client stays in it."""

    __tablename__ = "chat"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    client_id: int = Field(foreign_key="client.id", unique=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    topic: Topic | None = enum_column(Topic, nullable=True, index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    responsible_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    comment: str = Field(default="", max_length=2000)
    channel: Channel = enum_column(Channel, default=Channel.android, index=True)
    dialog_state: DialogState = enum_column(DialogState, default=DialogState.closed)
    bot_step: BotStep = enum_column(BotStep, default=BotStep.none)
    consent_pending: bool = True  # S2: the notice shows until the first message/topic
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    dialog_started_at: datetime | None = optional_time_field()
    last_message_at: datetime | None = optional_time_field(index=True)
    last_client_message_at: datetime | None = optional_time_field()
    last_employee_message_at: datetime | None = optional_time_field()
    # B9: when the dialog closes by itself unless the client answers. A row, not a
    # timer in memory, so a restart loses none and an overdue one fires on start.
    inactivity_due_at: datetime | None = optional_time_field(index=True)
    # P14: the current dialog's first staff reply, written with that reply (a value older than
    # ``dialog_started_at`` belongs to an earlier dialog). Copied to ``dialog_record`` on close.
    first_response_at: datetime | None = optional_time_field()


class Attachment(SQLModel, table=True):
    """A stored file. The bytes live under settings.attachments_dir/<storage_key>."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int
    is_image: bool = False
    storage_key: str = Field(max_length=100, unique=True)
    sha256: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    # Who uploaded it, for the upload quota: an employee, or None for the chat's client.
    uploaded_by_employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    # While no message holds the file (staged): when it expires. None once a message took it;
    # the sweep deletes what is past due, so an abandoned upload does not stay forever.
    staged_until: datetime | None = optional_time_field(index=True)


class Message(SQLModel, table=True):
    __tablename__ = "message"
    # A resend carries the same client-generated id and never makes a duplicate.
    __table_args__ = (UniqueConstraint("chat_id", "client_msg_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    author_kind: AuthorKind = enum_column(AuthorKind)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    text: str = Field(default="", max_length=4000)
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id")
    deep_link_kind: DeepLinkKind | None = enum_column(DeepLinkKind, nullable=True)
    deep_link_project_id: int | None = Field(default=None, foreign_key="project.id")
    client_msg_id: str | None = Field(default=None, max_length=64)
    dialog_mark: DialogMark | None = enum_column(DialogMark, nullable=True)
    created_at: datetime = created_at_field()
    edited_at: datetime | None = optional_time_field()
    deleted_at: datetime | None = optional_time_field()
    # For a client message: when an employee first read it; for the others:
    # when the client read it (M11).
    read_at: datetime | None = optional_time_field()
    read_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")


class ChatChange(SQLModel, table=True):
    """One line of «История изменений» (C4)."""

    __tablename__ = "chat_change"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    actor_kind: AuthorKind = enum_column(AuthorKind)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    field: str = Field(max_length=50)
    old_value: str = Field(default="", max_length=4000)
    new_value: str = Field(default="", max_length=4000)
    note: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
