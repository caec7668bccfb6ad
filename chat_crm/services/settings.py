"""«Поддержка» → «Настройки», tab «Чат» (S1–S4): read and save the one ChatSettings row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import ChatSettings, Department, Employee
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.assignment import chat_settings, eligible_employees, may_answer
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

# The limits are the columns' own lengths, so the form, the service and the schema cannot drift apart.
TITLE_LIMIT: int = ChatSettings.__table__.c.welcome_title.type.length  # type: ignore[attr-defined]
TEXT_LIMIT: int = ChatSettings.__table__.c.welcome_text.type.length  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Option:
    """One entry of a <select>: ids travel as strings because that is what the browser sends."""

    value: str
    label: str


@dataclass(frozen=True)
class ChatSettingsView:
    """What tab «Чат» shows."""

    show_in_storefront: bool
    consent_notice: bool
    welcome_title: str
    welcome_text: str
    department_id: int | None
    employee_id: int | None
    departments: list[Option]
    employees: list[Option]  # only the chosen department's active employees (S4)


def _department_options(session: Session) -> list[Option]:
    rows = session.exec(select(Department).order_by(Department.name)).all()
    return [Option(value=str(d.id), label=d.name) for d in rows]


def _employee_options(session: Session, department_id: int | None) -> list[Option]:
    # Only who may be handed a chat (assignment.may_answer): the list is the rule.
    return [Option(value=str(e.id), label=e.full_name) for e in eligible_employees(session, department_id)]


def employees_of_department_in(session: Session, department_id: int | None) -> list[Option]:
    """The same list inside a caller's session: tab «Чат-бот» picks a rule's employee by the same rule."""
    return _employee_options(session, department_id)


def _view(session: Session, row: ChatSettings) -> ChatSettingsView:
    return ChatSettingsView(
        show_in_storefront=row.show_in_storefront,
        consent_notice=row.consent_notice,
        welcome_title=row.welcome_title,
        welcome_text=row.welcome_text,
        department_id=row.department_id,
        employee_id=row.employee_id,
        departments=_department_options(session),
        employees=_employee_options(session, row.department_id),
    )


def read_chat_settings(*, employee_id: int | None) -> ChatSettingsView:
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_settings)
        return _view(session, chat_settings(session))


def employees_of_department(*, employee_id: int | None, department_id: int | None) -> list[Option]:
    """The «Сотрудник» options after «Подразделение» changes: that department's active employees only."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_settings)
        return _employee_options(session, department_id)


@dataclass(frozen=True)
class _CleanSettings:
    show_in_storefront: bool
    consent_notice: bool
    welcome_title: str
    welcome_text: str
    department_id: int
    employee_id: int | None


def _check_text(value: str, limit: int, label_key: str, field: str) -> str:
    text = value.strip()
    if len(text) > limit:
        raise ServiceError(t("settings.too_long", label=t(label_key), limit=limit, n=len(text)), field=field)
    return text


def _check_responsible(
    session: Session, department_id: int | None, employee_choice: int | None
) -> tuple[int, int | None]:
    # The spec makes only «Сотрудник» optional: the department is who answers when nobody is named.
    if department_id is None:
        raise ServiceError(t("settings.department_required"), field="department")
    if session.get(Department, department_id) is None:
        raise ServiceError(t("settings.department_unknown"), field="department")
    if employee_choice is None:
        return department_id, None
    employee = session.get(Employee, employee_choice)
    # Unknown, inactive, without a department or from another one: one answer, the list is the rule.
    if employee is None or not employee.is_active or employee.department_id != department_id:
        raise ServiceError(t("settings.employee_not_in_department"), field="employee")
    if not may_answer(session, employee, department_id):
        raise ServiceError(t("settings.employee_cannot_write"), field="employee")
    return department_id, employee.id


def check_chat_settings(
    session: Session,
    *,
    show_in_storefront: bool,
    consent_notice: bool,
    welcome_title: str,
    welcome_text: str,
    department_id: int | None,
    employee_id_choice: int | None,
) -> _CleanSettings:
    """Validate the form in the order the fields appear, so the first error is the topmost one."""
    title = _check_text(welcome_title, TITLE_LIMIT, "settings.welcome_title", "welcome_title")
    text = _check_text(welcome_text, TEXT_LIMIT, "settings.welcome_text", "welcome_text")
    department, employee = _check_responsible(session, department_id, employee_id_choice)
    return _CleanSettings(
        show_in_storefront=bool(show_in_storefront),
        consent_notice=bool(consent_notice),
        welcome_title=title,
        welcome_text=text,
        department_id=department,
        employee_id=employee,
    )


def save_chat_settings(
    *,
    employee_id: int | None,
    show_in_storefront: bool,
    consent_notice: bool,
    welcome_title: str,
    welcome_text: str,
    department_id: int | None,
    employee_id_choice: int | None,
) -> ChatSettingsView:
    """Check rights and limits on the server (any browser can call the event), then write the one row."""
    with unit_of_work() as work:
        session = work.session
        require_employee(session, employee_id, Permission.support_settings)
        clean = check_chat_settings(
            session,
            show_in_storefront=show_in_storefront,
            consent_notice=consent_notice,
            welcome_title=welcome_title,
            welcome_text=welcome_text,
            department_id=department_id,
            employee_id_choice=employee_id_choice,
        )
        row = session.exec(select(ChatSettings)).first() or ChatSettings()
        row.show_in_storefront = clean.show_in_storefront
        row.consent_notice = clean.consent_notice
        row.welcome_title = clean.welcome_title
        row.welcome_text = clean.welcome_text
        row.department_id = clean.department_id
        row.employee_id = clean.employee_id
        session.add(row)
        session.flush()
        return _view(session, row)
