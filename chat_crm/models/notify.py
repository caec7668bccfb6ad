"""Notifications: in-app lists, push subscriptions, the outbox and durable timers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chat_crm.models.base import (
    UTCDateTime,
    created_at_field,
    enum_column,
    optional_time_field,
    utcnow,
)


class StaffNotification(SQLModel, table=True):
    """An entry of an employee's in-app notification list (N1, N2)."""

    __tablename__ = "staff_notification"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    chat_id: int = Field(foreign_key="chat.id")
    kind: str = Field(max_length=40)  # chat_new_message | chat_assigned
    text: str = Field(max_length=500)
    created_at: datetime = created_at_field()
    read_at: datetime | None = optional_time_field()


class ClientNotification(SQLModel, table=True):
    """An entry of the client's «Уведомления» screen (N5)."""

    __tablename__ = "client_notification"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    chat_id: int = Field(foreign_key="chat.id")
    text: str = Field(max_length=500)
    created_at: datetime = created_at_field()
    read_at: datetime | None = optional_time_field()


class PushSubscription(SQLModel, table=True):
    """A Web Push subscription of an employee's browser or a client's app."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = created_at_field()


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxItem(SQLModel, table=True):
    """A push or an e-mail to send, written in the same transaction as its cause."""

    __tablename__ = "outbox_item"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)  # push | email
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    client_id: int | None = Field(default=None, foreign_key="client.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    status: OutboxStatus = enum_column(OutboxStatus, default=OutboxStatus.pending, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = optional_time_field()


class Timer(SQLModel, table=True):
    """A durable timer: inactivity close, the 24-hour reminder. Survives restarts."""

    __tablename__ = "timer"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # dialog_inactivity | client_reminder
    chat_id: int = Field(foreign_key="chat.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    done_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
