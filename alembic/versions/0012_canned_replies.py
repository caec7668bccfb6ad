"""canned replies (issue 12)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import chat_crm.models.base

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chat_crm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(department_id IS NULL) <> (owner_id IS NULL)", name="ck_canned_reply_one_scope"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["employee.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_canned_reply_department_id", "canned_reply", ["department_id"])
    op.create_index("ix_canned_reply_owner_id", "canned_reply", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_canned_reply_owner_id", table_name="canned_reply")
    op.drop_index("ix_canned_reply_department_id", table_name="canned_reply")
    op.drop_table("canned_reply")
