"""«Поддержка» → «Настройки» and «Роли доступа»: each page checks its permission."""

from __future__ import annotations

import reflex as rx

from chat_crm.services import roles
from chat_crm.services.access import Permission
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState
from chat_crm.texts import t


class RolesState(SessionState):
    roles: list[roles.RoleView] = []
    error: str = ""

    @rx.event
    def on_load(self):  # type: ignore[no-untyped-def]
        if not self._identify():
            return rx.redirect("/login")
        try:
            self.roles, self.error = roles.list_roles(employee_id=self._employee_id()), ""
        except ServiceError as err:
            self.roles, self.error = [], err.message
        return None


class SupportSettingsState(SessionState):
    error: str = ""

    @rx.event
    def on_load(self):  # type: ignore[no-untyped-def]
        if not self._identify():
            return rx.redirect("/login")
        allowed = Permission.support_settings.value in self.permissions
        self.error = "" if allowed else t("error.forbidden")
        return None
