"""mobile API (issue 13)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import chat_crm.models.base

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "api_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("created_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chat.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_event_chat_id_id", "api_event", ["chat_id", "id"])
    op.create_table(
        "device_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=4096), nullable=False),
        sa.Column("created_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_device_token_client_id", "device_token", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_device_token_client_id", table_name="device_token")
    op.drop_table("device_token")
    op.drop_index("ix_api_event_chat_id_id", table_name="api_event")
    op.drop_table("api_event")
