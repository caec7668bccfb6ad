"""Indexes of the chat list (L2, L3, L7, P8): the list's queries stay instant at a million chats.

They sit on the ``chat``, ``message`` and ``client`` tables; migration 0006 creates them.
Per-employee hidden columns (L4) live in ``EmployeePreference`` (models/settings.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from chat_crm.models.chat import Chat, Message
from chat_crm.models.realty import Client

_chat = Chat.__table__.c  # type: ignore[attr-defined]
_message = Message.__table__.c  # type: ignore[attr-defined]
_client = Client.__table__.c  # type: ignore[attr-defined]

# M11's "unread by the staff" (list_query.unread_client_condition): only the unread client
# messages are in it, so «Новые», its count and «Метки» read a few rows, not the messages.
UNREAD_WHERE = "author_kind = 'client' AND read_at IS NULL AND deleted_at IS NULL"

LIST_INDEXES = (
    sa.Index(
        "ix_message_unread_client",
        _message.chat_id,
        sqlite_where=sa.text(UNREAD_WHERE),
        postgresql_where=sa.text(UNREAD_WHERE),
    ),
    # A row's last message (the preview) in one step, however long the chat.
    sa.Index("ix_message_chat_id_id", _message.chat_id, _message.id),
    # The default order, newest activity first (list_query.activity).
    sa.Index("ix_chat_activity", sa.func.coalesce(_chat.last_message_at, _chat.created_at), _chat.id),
    sa.Index("ix_chat_created_id", _chat.created_at, _chat.id),
    sa.Index("ix_chat_updated_id", _chat.updated_at, _chat.id),
    sa.Index("ix_chat_topic_id", _chat.topic, _chat.id),
    sa.Index("ix_chat_channel_id", _chat.channel, _chat.id),
    sa.Index("ix_chat_responsible_id_id", _chat.responsible_id, _chat.id),
    sa.Index("ix_chat_state_id", _chat.dialog_state, _chat.id),
    sa.Index("ix_client_name_id", _client.name_search, _client.id),
    # Part of a ФИО: trigrams on PostgreSQL (pg_trgm); a plain index elsewhere.
    sa.Index(
        "ix_client_name_trgm",
        _client.name_search,
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    ),
)
