"""«Настройки» → «Сотрудники» (P17): the list, the add and edit forms, departments.

Every event goes through services/employees.py, which checks «Сотрудники: Список сотрудников».
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from chat_crm.services import employees
from chat_crm.services.employees import EmployeeDraft
from chat_crm.services.errors import ServiceError, Unauthenticated
from chat_crm.services.settings import Option
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t

_FIELDS = ("full_name", "email", "password", "role", "department", "department_name")


def _to_id(value: object) -> int | None:
    """A <select>'s value to an id; anything else is «not chosen» and the service decides."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _draft(form: dict[str, Any]) -> EmployeeDraft:
    return EmployeeDraft(
        full_name=str(form.get("full_name", "")),
        email=str(form.get("email", "")),
        password=str(form.get("password", "")),
        role_id=_to_id(form.get("role", "")),
        department_id=_to_id(form.get("department", "")),
    )


class EmployeesState(SessionState):
    rows: list[employees.EmployeeRow] = []
    departments: list[Option] = []
    roles: list[Option] = []
    error: str = ""  # the page cannot be shown
    notice: str = ""
    form_error: str = ""
    errors: dict[str, str] = {}  # field -> message, for the add form
    edit_errors: dict[str, str] = {}  # the same, for the edit dialog
    department_errors: dict[str, str] = {}
    editing: int = 0  # the employee open in «Изменить», 0 = closed
    edit_name: str = ""
    edit_role: str = ""
    edit_department: str = ""

    def _clear(self) -> None:
        self.notice = self.form_error = ""
        self.errors, self.edit_errors, self.department_errors = {}, {}, {}

    def _show(self, view: employees.EmployeesView) -> None:
        self.rows, self.departments, self.roles = view.employees, view.departments, view.roles

    async def _reload(self) -> None:
        self._show(await off_loop(self, lambda: employees.list_employees(employee_id=self._employee_id())))

    def _read(self) -> employees.EmployeesView | None:
        if not self._identify():
            return None
        return employees.list_employees(employee_id=self._employee_id())

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self._clear()
        self.editing = 0
        try:
            view = await off_loop(self, self._read)
        except ServiceError as err:
            self.rows, self.departments, self.roles, self.error = [], [], [], err.message
            return None
        if view is None:
            return rx.redirect("/login")
        self._show(view)
        self.error = ""
        return None

    async def _run(self, action: Any, errors: str, done: str) -> bool:
        """Run one change; a field error goes beside its field, any other above the page."""
        try:
            await off_loop(self, action)
        except Unauthenticated:
            raise
        except ServiceError as err:
            if err.field in _FIELDS:
                setattr(self, errors, {err.field: err.message})
            else:
                self.form_error = err.message
            return False
        await self._reload()
        self.notice = t(done)
        return True

    @rx.event
    async def add(self, form: dict[str, Any]) -> None:
        self._clear()
        draft = _draft(form)
        await self._run(
            lambda: employees.add_employee(employee_id=self._employee_id(), draft=draft),
            "errors",
            "employees.added",
        )

    @rx.event
    def start_edit(self, target_id: int) -> None:
        """Fills the dialog from the list already read; the save re-checks everything."""
        self._clear()
        row = next((r for r in self.rows if r.id == target_id), None)
        if row is None:
            return
        self.editing, self.edit_name = row.id, row.full_name
        self.edit_role, self.edit_department = row.role_id, row.department_id

    @rx.event
    def edit_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.editing = 0

    @rx.event
    async def save_edit(self, form: dict[str, Any]) -> None:
        self._clear()
        draft, target = _draft(form), self.editing
        saved = await self._run(
            lambda: employees.update_employee(employee_id=self._employee_id(), target_id=target, draft=draft),
            "edit_errors",
            "employees.saved",
        )
        if saved:
            self.editing = 0

    @rx.event
    async def set_active(self, target_id: int, active: bool) -> None:
        self._clear()
        await self._run(
            lambda: employees.set_active(employee_id=self._employee_id(), target_id=target_id, active=active),
            "errors",
            "employees.activated" if active else "employees.deactivated",
        )

    @rx.event
    async def add_department(self, form: dict[str, Any]) -> None:
        self._clear()
        name = str(form.get("department_name", ""))
        await self._run(
            lambda: employees.add_department(employee_id=self._employee_id(), name=name),
            "department_errors",
            "employees.department_added",
        )

    @rx.event
    async def rename_department(self, form: dict[str, Any]) -> None:
        self._clear()
        name, department_id = str(form.get("department_name", "")), _to_id(form.get("department_id", ""))
        await self._run(
            lambda: employees.rename_department(
                employee_id=self._employee_id(), department_id=department_id or 0, name=name
            ),
            "department_errors",
            "employees.department_renamed",
        )
