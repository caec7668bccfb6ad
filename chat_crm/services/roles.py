"""Roles and their permissions (A1, A2)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from chat_crm.db import read_session
from chat_crm.models import Role
from chat_crm.services.access import ALL_PERMISSIONS, Permission, permission_label, require_employee


@dataclass(frozen=True)
class RoleView:
    id: int
    name: str
    granted: list[str]


def list_roles(*, employee_id: int) -> list[RoleView]:
    with read_session() as session:
        require_employee(session, employee_id, Permission.roles)
        roles = session.exec(select(Role).order_by(Role.id)).all()
        return [
            RoleView(
                id=role.id or 0,
                name=role.name,
                granted=[permission_label(p) for p in ALL_PERMISSIONS if p.value in role.permissions],
            )
            for role in roles
        ]
