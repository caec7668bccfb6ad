"""roles and employees (issue 11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 02:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


_role = sa.table("role", sa.column("id", sa.Integer), sa.column("permissions", sa.JSON))


def _rewrite(change) -> None:  # type: ignore[no-untyped-def]
    """Permissions are a JSON list: rewritten row by row, the same way on SQLite and PostgreSQL."""
    conn = op.get_bind()
    for role_id, permissions in conn.execute(sa.select(_role.c.id, _role.c.permissions)).all():
        updated = change(list(permissions or []))
        if updated != list(permissions or []):
            conn.execute(sa.update(_role).where(_role.c.id == role_id).values(permissions=updated))


def upgrade() -> None:
    # «Сотрудники: Список сотрудников» is new (P17): whoever could edit roles keeps managing staff.
    _rewrite(lambda perms: [*perms, "employees"] if "roles" in perms and "employees" not in perms else perms)


def downgrade() -> None:
    _rewrite(lambda perms: [p for p in perms if p != "employees"])
