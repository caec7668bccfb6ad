"""Small builders of rows for service tests."""

from __future__ import annotations

from sqlmodel import Session

from chat_crm.models import ChatSettings, Client, Department, Employee, Role
from chat_crm.services.access import ALL_PERMISSIONS, Permission
from chat_crm.services.auth import hash_password

_HASH = hash_password("secret")


def role(session: Session, name: str, permissions: list[Permission] | None = None) -> Role:
    row = Role(
        name=name,
        permissions=[p.value for p in (permissions if permissions is not None else ALL_PERMISSIONS)],
    )
    session.add(row)
    session.commit()
    return row


def department(session: Session, name: str = "Отдел продаж") -> Department:
    row = Department(name=name)
    session.add(row)
    session.commit()
    return row


def employee(
    session: Session,
    email: str,
    *,
    role_row: Role,
    department_row: Department | None = None,
    active: bool = True,
    name: str = "",
) -> Employee:
    row = Employee(
        full_name=name or f"Сотрудник {email}",
        email=email,
        role_id=role_row.id or 0,
        department_id=department_row.id if department_row else None,
        password_hash=_HASH,
        is_active=active,
    )
    session.add(row)
    session.commit()
    return row


def client(session: Session, name: str = "Иванов Иван Иванович", authorized: bool = True) -> Client:
    row = Client(full_name=name if authorized else "", is_authorized=authorized)
    session.add(row)
    session.commit()
    return row


def chat_settings(
    session: Session, department_row: Department, employee_row: Employee | None = None
) -> ChatSettings:
    row = ChatSettings(department_id=department_row.id, employee_id=employee_row.id if employee_row else None)
    session.add(row)
    session.commit()
    return row
