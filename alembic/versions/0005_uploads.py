"""uploads: staged files expire, the uploader is kept for the quota (issue 9, uploads)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import chat_crm.models.base

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploaded_by_employee_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("staged_until", chat_crm.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_attachment_uploaded_by_employee_id"), ["uploaded_by_employee_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachment_staged_until"), ["staged_until"], unique=False)
        batch_op.create_foreign_key(
            "fk_attachment_uploaded_by_employee_id_employee", "employee", ["uploaded_by_employee_id"], ["id"]
        )
    # Files uploaded before this revision and never sent were kept forever: they are due now,
    # so the first sweep removes them (a file staged in the minutes before the upgrade goes too).
    op.execute(
        "UPDATE attachment SET staged_until = created_at WHERE id NOT IN "
        "(SELECT attachment_id FROM message WHERE attachment_id IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attachment_uploaded_by_employee_id_employee", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_attachment_staged_until"))
        batch_op.drop_index(batch_op.f("ix_attachment_uploaded_by_employee_id"))
        batch_op.drop_column("staged_until")
        batch_op.drop_column("uploaded_by_employee_id")
