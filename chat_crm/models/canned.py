"""Canned replies («Шаблоны ответов», P13): a department's, or one employee's own."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chat_crm.models.base import created_at_field

TITLE_LIMIT = 60
TEXT_LIMIT = 4000  # a message's own limit (services.messages.MAX_TEXT): a template fits one message


class CannedReply(SQLModel, table=True):
    """A template. Exactly one scope: ``department_id`` (the department's) or ``owner_id`` (personal).

    The check constraint keeps a row from belonging to both or to nobody, whatever writes it.
    """

    __tablename__ = "canned_reply"
    __table_args__ = (
        sa.CheckConstraint("(department_id IS NULL) <> (owner_id IS NULL)", name="ck_canned_reply_one_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_LIMIT)  # the short code typed after «/»
    text: str = Field(max_length=TEXT_LIMIT)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
