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
    support_reports = "support_reports"  # page «Поддержка» → «Отчеты» (P14)
    employees = "employees"  # «Настройки» → «Сотрудники»: the list, departments (P17)


class AlertKind(enum.StrEnum):
    """What an employee may be alerted about (N1): the keys of ``Role.notifications``."""

    chat_new_message = "chat_new_message"  # «Новое сообщение в чате витрины»
    chat_assigned = "chat_assigned"  # «Вас назначили ответственным в чате витрины»


class AlertChannel(enum.StrEnum):
    """How (N1): the values of ``Role.notifications``; the in-app list always gets the entry."""

    push = "push"  # «Push»
    email = "email"  # «Email»


ALL_PERMISSIONS: tuple[Permission, ...] = tuple(Permission)


def permission_label(permission: Permission) -> str:
    return t(f"perm.{permission.value}")


def alert_channels(session: Session, employee: Employee, kind: AlertKind) -> frozenset[AlertChannel]:
    """The channels the employee's role chose for ``kind`` (tab «Уведомления»)."""
    role = session.get(Role, employee.role_id)
    chosen = role.notifications.get(kind.value, []) if role else []
    return frozenset(AlertChannel(c) for c in chosen if c in AlertChannel.__members__)


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
