"""«Поддержка» → «Настройки» and «Роли доступа»: each page checks its permission."""

from __future__ import annotations

from typing import Any

import reflex as rx

from chat_crm.services import settings
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t


class SupportSettingsState(SessionState):
    """Tab «Чат» (S1–S4). Holds what the form shows; every rule is in services/settings.py."""

    error: str = ""  # the page cannot be shown (no right, session gone)
    # The form, as the browser holds it: ids are strings, "" means «not chosen».
    show_in_storefront: bool = True
    consent_notice: bool = True
    welcome_title: str = ""
    welcome_text: str = ""
    department: str = ""
    employee: str = ""
    departments: list[settings.Option] = []
    employees: list[settings.Option] = []
    # One message per field, shown beside it; form_error is for what belongs to no field.
    title_error: str = ""
    text_error: str = ""
    department_error: str = ""
    employee_error: str = ""
    form_error: str = ""
    saved: str = ""

    @rx.var
    def title_counter(self) -> str:
        # Counts what the server will count (it strips), so the counter and the error agree.
        return f"{len(self.welcome_title.strip())}/{settings.TITLE_LIMIT}"

    @rx.var
    def text_counter(self) -> str:
        return f"{len(self.welcome_text.strip())}/{settings.TEXT_LIMIT}"

    def _clear_messages(self) -> None:
        self.title_error = self.text_error = self.department_error = self.employee_error = ""
        self.form_error = self.saved = ""

    def _show(self, view: settings.ChatSettingsView) -> None:
        self.show_in_storefront, self.consent_notice = view.show_in_storefront, view.consent_notice
        self.welcome_title, self.welcome_text = view.welcome_title, view.welcome_text
        self.department = str(view.department_id) if view.department_id is not None else ""
        self.employee = str(view.employee_id) if view.employee_id is not None else ""
        self.departments, self.employees = view.departments, view.employees

    def _show_error(self, err: ServiceError) -> None:
        fields = {
            "welcome_title": "title_error",
            "welcome_text": "text_error",
            "department": "department_error",
            "employee": "employee_error",
        }
        setattr(self, fields.get(err.field, "form_error"), err.message)

    def _read(self) -> settings.ChatSettingsView | None:
        if not self._identify():
            return None
        return settings.read_chat_settings(employee_id=self._employee_id())

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self._clear_messages()
        try:
            view = await off_loop(self, self._read)
        except ServiceError as err:
            self.error = err.message
            return None
        if view is None:
            return rx.redirect("/login")
        self._show(view)
        self.error = ""
        return None

    @rx.event
    def set_show_in_storefront(self, value: bool) -> None:
        self.show_in_storefront, self.saved = bool(value), ""

    @rx.event
    def set_consent_notice(self, value: bool) -> None:
        self.consent_notice, self.saved = bool(value), ""

    @rx.event
    def set_welcome_title(self, value: str) -> None:
        self.welcome_title, self.saved = value, ""

    @rx.event
    def set_welcome_text(self, value: str) -> None:
        self.welcome_text, self.saved = value, ""

    @rx.event
    async def set_department(self, value: str) -> None:
        """A new department brings its own employees; a chosen one from elsewhere is dropped."""
        self.department, self.saved = value, ""
        self.department_error = self.employee_error = ""  # both answered by the new choice
        try:
            self.employees = await off_loop(
                self,
                lambda: settings.employees_of_department(
                    employee_id=self._employee_id(), department_id=_to_id(value)
                ),
            )
        except ServiceError as err:
            self.employees = []
            self._show_error(err)
        if self.employee not in {option.value for option in self.employees}:
            self.employee = ""

    @rx.event
    def set_employee(self, value: str) -> None:
        self.employee, self.saved, self.employee_error = value, "", ""

    @rx.event
    async def save(self, form: dict[str, Any]) -> None:
        # The texts come from the submitted form too: what the user sees in the field is what is saved,
        # even if the last keystroke's on_change has not reached the server yet.
        self.welcome_title = str(form.get("welcome_title", self.welcome_title))
        self.welcome_text = str(form.get("welcome_text", self.welcome_text))
        self._clear_messages()
        try:
            view = await off_loop(
                self,
                lambda: settings.save_chat_settings(
                    employee_id=self._employee_id(),
                    show_in_storefront=self.show_in_storefront,
                    consent_notice=self.consent_notice,
                    welcome_title=self.welcome_title,
                    welcome_text=self.welcome_text,
                    department_id=_to_id(self.department),
                    employee_id_choice=_to_id(self.employee),
                ),
            )
        except ServiceError as err:
            # Keep everything typed: only the message changes, so the user fixes one field and saves again.
            self._show_error(err)
            return
        self._show(view)
        self.saved = t("settings.saved")


def _to_id(value: str) -> int | None:
    """A <select> value to an id; anything that is not a number is «not chosen» and the service decides."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
