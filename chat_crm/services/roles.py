"""Roles: their permissions (tab «Доступ», A1–A3) and alert channels (tab «Уведомления», N1).

Every function re-reads the acting employee's role (access.require_employee), so a change
made here holds for every open tab from its next event on.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Employee, Role
from chat_crm.services.access import (
    ALL_PERMISSIONS,
    AlertChannel,
    AlertKind,
    Permission,
    permission_label,
    require_employee,
)
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.timefmt import plural
from chat_crm.texts import t

NAME_LIMIT: int = Role.__table__.c.name.type.length  # type: ignore[attr-defined]

# Tab «Доступ»: (section title key, its permissions), in the order the spec names them.
ACCESS_SECTIONS: tuple[tuple[str, tuple[Permission, ...]], ...] = (
    (
        "roles.section_support",
        (
            Permission.support_chat,
            Permission.support_settings,
            Permission.support_reports,
            Permission.chat_send,
        ),
    ),
    ("roles.section_employees", (Permission.roles, Permission.employees)),
)


@dataclass(frozen=True)
class RoleView:
    id: int
    name: str
    granted: list[str]  # labels, for the list
    permissions: list[str]  # codes (Permission values)
    notifications: dict[str, list[str]]  # AlertKind value -> AlertChannel values
    holders: int  # employees (active or not) who hold it


def access_role(session: Session, role_id: int | None) -> Role:
    role = session.get(Role, role_id) if role_id else None
    if role is None:
        raise NotFound(t("roles.error.not_found"))
    return role


def _holders(session: Session) -> dict[int, int]:
    rows = session.exec(select(Employee.role_id, func.count()).group_by(Employee.role_id)).all()
    return {role_id: count for role_id, count in rows}


def _view(role: Role, holders: int) -> RoleView:
    return RoleView(
        id=role.id or 0,
        name=role.name,
        granted=[permission_label(p) for p in ALL_PERMISSIONS if p.value in role.permissions],
        permissions=[p.value for p in ALL_PERMISSIONS if p.value in role.permissions],
        notifications={
            k.value: [c.value for c in AlertChannel if c.value in role.notifications.get(k.value, [])]
            for k in AlertKind
        },
        holders=holders,
    )


def list_roles(*, employee_id: int) -> list[RoleView]:
    with read_session() as session:
        require_employee(session, employee_id, Permission.roles)
        counts = _holders(session)
        roles = session.exec(select(Role).order_by(col(Role.name))).all()
        return [_view(role, counts.get(role.id or 0, 0)) for role in roles]


def _clean_name(session: Session, name: str, role_id: int | None = None) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise ServiceError(t("roles.error.name_required"), field="name")
    if len(name) > NAME_LIMIT:
        raise ServiceError(t("roles.error.name_too_long", limit=NAME_LIMIT), field="name")
    # Compared in Python: SQLite's lower() knows only ASCII, and there are few roles.
    same = [r.id for r in session.exec(select(Role)).all() if r.name.casefold() == name.casefold()]
    if any(found != role_id for found in same):
        raise ServiceError(t("roles.error.name_taken"), field="name")
    return name


def create_role(*, employee_id: int, name: str) -> RoleView:
    """A new role with no rights and no alerts: nothing is granted by accident."""
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.roles)
        role = Role(name=_clean_name(work.session, name), permissions=[], notifications={})
        work.session.add(role)
        work.session.flush()
        return _view(role, 0)


def rename_role(*, employee_id: int, role_id: int, name: str) -> RoleView:
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.roles)
        role = access_role(work.session, role_id)
        role.name = _clean_name(work.session, name, role.id)
        work.session.add(role)
        return _view(role, _holders(work.session).get(role.id or 0, 0))


def delete_role(*, employee_id: int, role_id: int) -> str:
    """Only a role no one holds (deactivated employees count: they keep their role)."""
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.roles)
        role = access_role(work.session, role_id)
        held = _holders(work.session).get(role.id or 0, 0)
        if held:
            forms = tuple(t("roles.employee_forms").split("|"))
            raise ServiceError(t("roles.error.held", count=plural(held, forms)))  # type: ignore[arg-type]
        work.session.delete(role)
        return role.name


def _clean_permissions(codes: list[str]) -> list[str]:
    known = {p.value for p in ALL_PERMISSIONS}
    if any(str(c) not in known for c in codes):
        raise ServiceError(t("roles.error.unknown_permission"), field="permissions")
    return [p.value for p in ALL_PERMISSIONS if p.value in set(map(str, codes))]


def _clean_notifications(chosen: dict[str, list[str]]) -> dict[str, list[str]]:
    kinds, channels = {k.value for k in AlertKind}, {c.value for c in AlertChannel}
    for kind, picked in chosen.items():
        if str(kind) not in kinds or not isinstance(picked, list) or not set(map(str, picked)) <= channels:
            raise ServiceError(t("roles.error.unknown_alert"), field="notifications")
    return {
        k.value: [c.value for c in AlertChannel if c.value in set(map(str, chosen.get(k.value, [])))]
        for k in AlertKind
        if chosen.get(k.value)
    }


def save_role(
    *, employee_id: int, role_id: int, permissions: list[str], notifications: dict[str, list[str]]
) -> RoleView:
    """Tabs «Доступ» and «Уведомления» of one role, saved together by «Сохранить»."""
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.roles)
        role = access_role(work.session, role_id)
        role.permissions = _clean_permissions(list(permissions))
        role.notifications = _clean_notifications(dict(notifications))
        work.session.add(role)
        work.session.flush()
        ensure_roles_editable(work.session)
        return _view(role, _holders(work.session).get(role.id or 0, 0))


def ensure_roles_editable(session: Session) -> None:
    """Refuse (the caller's transaction rolls back) if no active employee could edit roles any more:
    nobody could then give the right back without the database."""
    editors = [r.id for r in session.exec(select(Role)).all() if Permission.roles.value in r.permissions]
    query = (
        select(func.count())
        .select_from(Employee)
        .where(col(Employee.role_id).in_(editors or [-1]), col(Employee.is_active).is_(sa.true()))
    )
    if not session.exec(query).one():
        raise ServiceError(t("roles.error.lockout"))
