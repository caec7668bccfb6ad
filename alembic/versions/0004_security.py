"""security: login throttle, login tickets and the session idle timeout (issue 9, sessions)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chat_crm.models.base

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", chat_crm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttle_key"), ["key"], unique=True)

    op.create_table(
        "login_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_ticket_ticket_hash"), ["ticket_hash"], unique=True)

    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("login_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_ticket_ticket_hash"))
    op.drop_table("login_ticket")
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_key"))
    op.drop_table("login_throttle")
