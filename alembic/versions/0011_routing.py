"""routing policy (issue 12): «Не в сети» and the departments' routing

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_online", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "department_routing",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "policy",
            sa.Enum("random", "round_robin", "least_loaded", name="routingpolicy", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("max_open_dialogs", sa.Integer(), nullable=True),
        sa.Column("reassign_after_minutes", sa.Integer(), nullable=True),
        sa.Column("last_picked_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.PrimaryKeyConstraint("department_id"),
    )


def downgrade() -> None:
    op.drop_table("department_routing")
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("is_online")
