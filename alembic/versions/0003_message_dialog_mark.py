"""message dialog mark: the separator between dialogs (P5)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "dialog_mark",
                sa.Enum("opened", "resolved", "no_reply", name="dialogmark", native_enum=False, length=20),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("dialog_mark")
