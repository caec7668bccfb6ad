"""What «Отчеты» (P14) reads: one row per finished dialog, and the indexes of the reports.

A chat holds only its current dialog (``dialog_started_at``, ``first_response_at``): when a
dialog closes, its times are copied into ``dialog_record`` in the same transaction, so the
first-response and resolution times of the whole history are read from one narrow table,
never reconstructed from ten million messages. Migration 0013 creates it and fills it from
the messages' dialog marks.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chat_crm.models.base import UTCDateTime, optional_time_field
from chat_crm.models.chat import Chat, Message


class DialogRecord(SQLModel, table=True):
    """A finished dialog: started → first staff reply (if any) → closed."""

    __tablename__ = "dialog_record"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    first_response_at: datetime | None = optional_time_field()
    closed_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    # Who answered for the dialog when it closed: the «Сотрудник» breakdown.
    responsible_id: int | None = Field(default=None, foreign_key="employee.id")


_chat = Chat.__table__.c  # type: ignore[attr-defined]
_message = Message.__table__.c  # type: ignore[attr-defined]
OPEN_WHERE = "dialog_state <> 'closed'"

REPORT_INDEXES = (
    # Messages per day: an index-only scan of the range, split by author without the heap.
    sa.Index("ix_message_created_kind", _message.created_at, _message.author_kind),
    # The open dialogs: their start (timings, breakdowns) and their load per employee.
    sa.Index(
        "ix_chat_open_started",
        _chat.dialog_started_at,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    ),
    sa.Index(
        "ix_chat_open_responsible",
        _chat.responsible_id,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    ),
)
