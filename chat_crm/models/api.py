"""The mobile API's own tables (P15): the per-chat event journal and device push tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chat_crm.models.base import created_at_field


class ApiEvent(SQLModel, table=True):
    """One line per message added, changed or read, written in the same transaction.

    Its id is the SSE event id: a reconnecting app asks for the lines of its chat after
    the last id it saw (``Last-Event-ID``) and gets what it missed, exactly once, in order.
    """

    __tablename__ = "api_event"
    __table_args__ = (sa.Index("ix_api_event_chat_id_id", "chat_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id")
    topic: str = Field(max_length=40)  # realtime.EventTopic value
    message_id: int = 0
    side: str = Field(default="", max_length=20)
    created_at: datetime = created_at_field()


class DeviceToken(SQLModel, table=True):
    """An iOS or Android app's push token, kept for a later provider (APNs, FCM)."""

    __tablename__ = "device_token"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    platform: str = Field(max_length=20)  # ios | android
    token: str = Field(max_length=4096, unique=True)
    created_at: datetime = created_at_field()
