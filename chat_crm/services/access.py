"""Who may do what (A1–A3). Every service calls these; no screen decides alone."""

from __future__ import annotations

import enum

from sqlmodel import Session

from chat_crm.models import Chat, Client, Employee, Role
from chat_crm.services.errors import Forbidden, NotFound, Unauthenticated
from chat_crm.texts import t


class Permission(enum.StrEnum):
    support_chat = "support_chat"  # page «Поддержка» → «Чат»
    support_settings = "support_settings"  # page «Поддержка» → «Настройки»
    chat_send = "chat_send"  # action «Чат: Отправка сообщений»
    roles = "roles"  # «Настройки» → «Сотрудники» → «Роли доступа»


ALL_PERMISSIONS: tuple[Permission, ...] = tuple(Permission)


def permission_label(permission: Permission) -> str:
    return t(f"perm.{permission.value}")


def active_employee(session: Session, employee_id: int | None) -> Employee:
    """The acting employee, re-read on every call: a deactivated one is refused at once."""
    employee = session.get(Employee, employee_id) if employee_id else None
    if employee is None or not employee.is_active:
        raise Unauthenticated(t("error.session_expired"))
    return employee


def permissions_of(session: Session, employee: Employee) -> frozenset[str]:
    role = session.get(Role, employee.role_id)
    return frozenset(role.permissions) if role else frozenset()


def has_permission(session: Session, employee: Employee, permission: Permission) -> bool:
    return permission.value in permissions_of(session, employee)


def require_employee(session: Session, employee_id: int | None, permission: Permission) -> Employee:
    employee = active_employee(session, employee_id)
    if not has_permission(session, employee, permission):
        raise Forbidden(t("error.forbidden"))
    return employee


def access_chat_as_employee(session: Session, employee_id: int | None, chat_id: int) -> Chat:
    """The chat, for an employee allowed on the «Чат» page."""
    require_employee(session, employee_id, Permission.support_chat)
    chat = session.get(Chat, chat_id)
    if chat is None:
        raise NotFound(t("card.not_found"))
    return chat


def access_client(session: Session, client_id: int | None) -> Client:
    client = session.get(Client, client_id) if client_id else None
    if client is None:
        raise Unauthenticated(t("error.session_expired"))
    return client
