"""«Настройки» → «Сотрудники» (P17): employees and departments.

A deactivated employee's login sessions are deleted in the same transaction, so every open
tab of theirs is refused on its next event (auth.resolve_employee finds no session).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import AuthSession, Department, Employee, LoginTicket, Role
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.auth import hash_password
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.roles import access_role, ensure_roles_editable
from chat_crm.services.settings import Option
from chat_crm.texts import t

NAME_LIMIT: int = Employee.__table__.c.full_name.type.length  # type: ignore[attr-defined]
EMAIL_LIMIT: int = Employee.__table__.c.email.type.length  # type: ignore[attr-defined]
DEPARTMENT_LIMIT: int = Department.__table__.c.name.type.length  # type: ignore[attr-defined]
PASSWORD_MIN, PASSWORD_MAX = 8, 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class EmployeeRow:
    id: int
    full_name: str
    email: str
    department_id: str  # "" = none; strings, as a <select> holds them
    department: str
    role_id: str
    role: str
    is_active: bool


@dataclass(frozen=True)
class EmployeesView:
    employees: list[EmployeeRow]
    departments: list[Option]
    roles: list[Option]


@dataclass(frozen=True)
class EmployeeDraft:
    """What the add / edit form sends; ``password`` only when adding."""

    full_name: str
    role_id: int | None
    department_id: int | None
    email: str = ""
    password: str = ""


def list_employees(*, employee_id: int) -> EmployeesView:
    with read_session() as session:
        require_employee(session, employee_id, Permission.employees)
        departments = {d.id: d.name for d in session.exec(select(Department)).all()}
        roles = {r.id: r.name for r in session.exec(select(Role)).all()}
        rows = session.exec(select(Employee).order_by(col(Employee.full_name), col(Employee.id))).all()
        return EmployeesView(
            employees=[
                EmployeeRow(
                    id=e.id or 0,
                    full_name=e.full_name,
                    email=e.email,
                    department_id=str(e.department_id or ""),
                    department=departments.get(e.department_id, ""),
                    role_id=str(e.role_id),
                    role=roles.get(e.role_id, ""),
                    is_active=e.is_active,
                )
                for e in rows
            ],
            departments=[Option(str(i), n) for i, n in sorted(departments.items(), key=lambda x: x[1])],
            roles=[Option(str(i), n) for i, n in sorted(roles.items(), key=lambda x: x[1])],
        )


def access_employee(session: Session, target_id: int | None) -> Employee:
    employee = session.get(Employee, target_id) if target_id else None
    if employee is None:
        raise NotFound(t("employees.error.not_found"))
    return employee


def _clean_full_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise ServiceError(t("employees.error.name_required"), field="full_name")
    if len(name) > NAME_LIMIT:
        raise ServiceError(t("employees.error.name_too_long", limit=NAME_LIMIT), field="full_name")
    return name


def _clean_email(session: Session, email: str) -> str:
    email = str(email).strip().lower()  # login lower-cases it too (auth.login_ticket)
    if len(email) > EMAIL_LIMIT or not _EMAIL.match(email):
        raise ServiceError(t("employees.error.email_invalid"), field="email")
    if session.exec(select(Employee.id).where(func.lower(Employee.email) == email)).first() is not None:
        raise ServiceError(t("employees.error.email_taken"), field="email")
    return email


def _check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise ServiceError(t("employees.error.password_short", limit=PASSWORD_MIN), field="password")
    if len(password) > PASSWORD_MAX:
        raise ServiceError(t("employees.error.password_long", limit=PASSWORD_MAX), field="password")
    return password


def _check_links(session: Session, draft: EmployeeDraft) -> None:
    if draft.role_id is None:
        raise ServiceError(t("employees.error.role_required"), field="role")
    try:
        access_role(session, draft.role_id)
    except NotFound:
        raise ServiceError(t("employees.error.role_required"), field="role") from None
    if draft.department_id is not None and session.get(Department, draft.department_id) is None:
        raise ServiceError(t("employees.error.department_unknown"), field="department")


def add_employee(*, employee_id: int, draft: EmployeeDraft) -> int:
    """The new employee's id. Errors name their field, in the form's order."""
    with unit_of_work() as work:
        session = work.session
        require_employee(session, employee_id, Permission.employees)
        full_name = _clean_full_name(draft.full_name)
        email = _clean_email(session, draft.email)
        password = _check_password(draft.password)
        _check_links(session, draft)
        row = Employee(
            full_name=full_name,
            email=email,
            password_hash=hash_password(password),
            role_id=draft.role_id or 0,
            department_id=draft.department_id,
        )
        session.add(row)
        session.flush()
        return row.id or 0


def update_employee(*, employee_id: int, target_id: int, draft: EmployeeDraft) -> None:
    """Name, role and department; a role change holds from the employee's next event."""
    with unit_of_work() as work:
        session = work.session
        require_employee(session, employee_id, Permission.employees)
        row = access_employee(session, target_id)
        row.full_name = _clean_full_name(draft.full_name)
        _check_links(session, draft)
        row.role_id, row.department_id = draft.role_id or 0, draft.department_id
        session.add(row)
        session.flush()
        ensure_roles_editable(session)


def set_active(*, employee_id: int, target_id: int, active: bool) -> None:
    """«Деактивировать» ends the employee's sessions in the same transaction; «Активировать»
    lets them log in again (no session comes back by itself)."""
    with unit_of_work() as work:
        session = work.session
        actor = require_employee(session, employee_id, Permission.employees)
        row = access_employee(session, target_id)
        if not active and row.id == actor.id:
            raise ServiceError(t("employees.error.self_deactivate"))
        row.is_active = bool(active)
        session.add(row)
        if not active:
            session.execute(sa.delete(AuthSession).where(col(AuthSession.employee_id) == row.id))
            session.execute(sa.delete(LoginTicket).where(col(LoginTicket.employee_id) == row.id))
        session.flush()
        ensure_roles_editable(session)


def _clean_department(session: Session, name: str, department_id: int | None = None) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise ServiceError(t("employees.error.department_required"), field="department_name")
    if len(name) > DEPARTMENT_LIMIT:
        raise ServiceError(
            t("employees.error.department_too_long", limit=DEPARTMENT_LIMIT), field="department_name"
        )
    # Compared in Python: SQLite's lower() knows only ASCII, and there are few departments.
    rows = session.exec(select(Department)).all()
    if any(d.name.casefold() == name.casefold() and d.id != department_id for d in rows):
        raise ServiceError(t("employees.error.department_taken"), field="department_name")
    return name


def add_department(*, employee_id: int, name: str) -> int:
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.employees)
        row = Department(name=_clean_department(work.session, name))
        work.session.add(row)
        work.session.flush()
        return row.id or 0


def rename_department(*, employee_id: int, department_id: int, name: str) -> None:
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.employees)
        row = work.session.get(Department, department_id) if department_id else None
        if row is None:
            raise ServiceError(t("employees.error.department_unknown"), field="department_name")
        row.name = _clean_department(work.session, name, row.id)
        work.session.add(row)
