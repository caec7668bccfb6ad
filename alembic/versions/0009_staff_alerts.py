"""staff push and e-mail (issue 11)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # No schema change: staff_notification, push_subscription and outbox_item exist already;
    # the VAPID key lives in the data folder (data/vapid_private.pem, 0600), not in the DB.
    pass


def downgrade() -> None:
    pass
