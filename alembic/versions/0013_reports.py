"""reports: finished dialogs, the first staff reply on the chat, report indexes (issue 12, P14)

``dialog_record`` keeps one row per finished dialog (started, first staff reply, closed,
responsible); ``chat.first_response_at`` the current dialog's first staff reply. Both are
filled here from the messages' dialog marks (P5), so the history before this migration is
in the reports too.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from chat_crm.models.base import UTCDateTime

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN_WHERE = "dialog_state <> 'closed'"
# A staff reply: an employee's own message (a closing text carries a dialog mark).
REPLY = "r.author_kind = 'employee' AND r.dialog_mark IS NULL"

# Each closing message ends the dialog opened by the latest «opened» mark before it.
BACKFILL_RECORDS = f"""
INSERT INTO dialog_record (chat_id, started_at, first_response_at, closed_at, responsible_id)
SELECT d.chat_id, d.started_at,
       (SELECT min(r.created_at) FROM message r
         WHERE r.chat_id = d.chat_id AND {REPLY}
           AND r.created_at >= d.started_at AND r.created_at <= d.closed_at),
       d.closed_at, d.responsible_id
FROM (
    SELECT c.chat_id, c.created_at AS closed_at, c.employee_id AS responsible_id,
           coalesce((SELECT max(o.created_at) FROM message o
                      WHERE o.chat_id = c.chat_id AND o.dialog_mark = 'opened'
                        AND o.created_at <= c.created_at), ch.created_at) AS started_at
    FROM message c JOIN chat ch ON ch.id = c.chat_id
    WHERE c.dialog_mark IN ('resolved', 'no_reply')
) d
"""

BACKFILL_CHATS = f"""
UPDATE chat SET first_response_at = (
    SELECT min(r.created_at) FROM message r
    WHERE r.chat_id = chat.id AND {REPLY} AND r.created_at >= chat.dialog_started_at
)
WHERE dialog_state <> 'closed' AND dialog_started_at IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "dialog_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chat.id"]),
        sa.ForeignKeyConstraint(["responsible_id"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dialog_record_chat_id", "dialog_record", ["chat_id"])
    op.create_index("ix_dialog_record_started_at", "dialog_record", ["started_at"])
    op.create_index("ix_dialog_record_closed_at", "dialog_record", ["closed_at"])
    with op.batch_alter_table("chat") as batch:
        batch.add_column(sa.Column("first_response_at", UTCDateTime(), nullable=True))
    op.create_index("ix_message_created_kind", "message", ["created_at", "author_kind"])
    partial = (("ix_chat_open_started", "dialog_started_at"), ("ix_chat_open_responsible", "responsible_id"))
    for name, column in partial:
        op.create_index(
            name,
            "chat",
            [column],
            sqlite_where=sa.text(OPEN_WHERE),
            postgresql_where=sa.text(OPEN_WHERE),
        )
    op.execute(BACKFILL_RECORDS)
    op.execute(BACKFILL_CHATS)


def downgrade() -> None:
    op.drop_index("ix_chat_open_responsible", table_name="chat")
    op.drop_index("ix_chat_open_started", table_name="chat")
    op.drop_index("ix_message_created_kind", table_name="message")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("first_response_at")
    op.drop_table("dialog_record")
