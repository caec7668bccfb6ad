"""inbox: list indexes and per-employee list settings (issue 10, list)

The chat list at a million chats (bench/list_scale.py): the partial index of unread
client messages («Новые», «Метки»), one index per sortable chat column, the default
activity order, and trigrams for part of a ФИО on PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNREAD_WHERE = "author_kind = 'client' AND read_at IS NULL AND deleted_at IS NULL"
PLAIN = (
    ("ix_chat_created_id", ["created_at", "id"]),
    ("ix_chat_updated_id", ["updated_at", "id"]),
    ("ix_chat_topic_id", ["topic", "id"]),
    ("ix_chat_channel_id", ["channel", "id"]),
    ("ix_chat_responsible_id_id", ["responsible_id", "id"]),
    ("ix_chat_state_id", ["dialog_state", "id"]),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_index(
        "ix_message_unread_client",
        "message",
        ["chat_id"],
        sqlite_where=sa.text(UNREAD_WHERE),
        postgresql_where=sa.text(UNREAD_WHERE),
    )
    op.create_index("ix_message_chat_id_id", "message", ["chat_id", "id"])
    op.create_index("ix_chat_activity", "chat", [sa.text("coalesce(last_message_at, created_at)"), "id"])
    for name, columns in PLAIN:
        op.create_index(name, "chat", columns)
    op.create_index("ix_client_name_id", "client", ["name_search", "id"])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_client_name_trgm",
            "client",
            ["name_search"],
            postgresql_using="gin",
            postgresql_ops={"name_search": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_client_name_trgm", "client", ["name_search"])


def downgrade() -> None:
    op.drop_index("ix_client_name_trgm", table_name="client")
    op.drop_index("ix_client_name_id", table_name="client")
    for name, _columns in reversed(PLAIN):
        op.drop_index(name, table_name="chat")
    op.drop_index("ix_chat_activity", table_name="chat")
    op.drop_index("ix_message_chat_id_id", table_name="message")
    op.drop_index("ix_message_unread_client", table_name="message")
