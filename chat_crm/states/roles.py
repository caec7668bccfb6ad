"""«Настройки» → «Сотрудники» → «Роли доступа» (A1–A3, N1).

The state holds only what the form shows; every event goes through services/roles.py, which
re-reads the acting employee's role. The ticks are a draft until «Сохранить».
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from chat_crm.services import roles
from chat_crm.services.errors import ServiceError, Unauthenticated
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t


def alert_key(kind: str, channel: str) -> str:
    """One tick of tab «Уведомления»: "chat_new_message:push"."""
    return f"{kind}:{channel}"


class RolesState(SessionState):
    roles: list[roles.RoleView] = []
    error: str = ""  # the page cannot be shown (no right)
    selected: int = 0  # the open role's id, 0 = none
    selected_name: str = ""
    selected_holders: int = 0
    draft_permissions: list[str] = []
    draft_alerts: list[str] = []  # alert_key(kind, channel) of each tick
    new_name_error: str = ""
    name_error: str = ""
    form_error: str = ""
    notice: str = ""  # «Роль сохранена», «Роль … создана», …

    def _clear(self) -> None:
        self.new_name_error = self.name_error = self.form_error = self.notice = ""

    def _open(self, role_id: int) -> None:
        """Show ``role_id`` from the list just read (its draft is what the database holds)."""
        role = next((r for r in self.roles if r.id == role_id), None)
        if role is None:
            self.selected, self.selected_name, self.selected_holders = 0, "", 0
            self.draft_permissions, self.draft_alerts = [], []
            return
        self.selected, self.selected_name, self.selected_holders = role.id, role.name, role.holders
        self.draft_permissions = list(role.permissions)
        self.draft_alerts = [alert_key(k, c) for k, chosen in role.notifications.items() for c in chosen]

    async def _reload(self, select: int) -> None:
        self.roles = await off_loop(self, lambda: roles.list_roles(employee_id=self._employee_id()))
        self._open(select)

    def _read(self) -> list[roles.RoleView] | None:
        if not self._identify():
            return None
        return roles.list_roles(employee_id=self._employee_id())

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self._clear()
        try:
            found = await off_loop(self, self._read)
        except ServiceError as err:
            self.roles, self.error = [], err.message
            self._open(0)
            return None
        if found is None:
            return rx.redirect("/login")
        self.roles, self.error = found, ""
        self._open(self.selected or (found[0].id if found else 0))
        return None

    @rx.event
    async def select_role(self, role_id: int) -> None:
        """Re-read on the server: another admin may have changed the role meanwhile."""
        self._clear()
        await self._reload(int(role_id))

    @rx.event
    async def create_role(self, form: dict[str, Any]) -> None:
        self._clear()
        name = str(form.get("new_name", ""))
        try:
            made = await off_loop(self, lambda: roles.create_role(employee_id=self._employee_id(), name=name))
        except Unauthenticated:
            raise
        except ServiceError as err:
            self.new_name_error = err.message
            return
        await self._reload(made.id)
        self.notice = t("roles.created", name=made.name)

    @rx.event
    async def rename_role(self, form: dict[str, Any]) -> None:
        self._clear()
        name, role_id = str(form.get("name", "")), self.selected
        try:
            await off_loop(
                self, lambda: roles.rename_role(employee_id=self._employee_id(), role_id=role_id, name=name)
            )
        except Unauthenticated:
            raise
        except ServiceError as err:
            self.name_error = err.message
            return
        await self._reload(role_id)
        self.notice = t("roles.renamed")

    @rx.event
    async def delete_role(self) -> None:
        self._clear()
        role_id = self.selected
        try:
            name = await off_loop(
                self, lambda: roles.delete_role(employee_id=self._employee_id(), role_id=role_id)
            )
        except Unauthenticated:
            raise
        except ServiceError as err:
            self.form_error = err.message
            return
        await self._reload(0)
        self.notice = t("roles.deleted", name=name)

    @rx.event
    def toggle_permission(self, code: str, checked: bool) -> None:
        """A draft tick only: nothing is written before «Сохранить»."""
        rest = [p for p in self.draft_permissions if p != code]
        self.draft_permissions = [*rest, str(code)] if checked else rest
        self.notice = ""

    @rx.event
    def toggle_alert(self, key: str, checked: bool) -> None:
        rest = [a for a in self.draft_alerts if a != key]
        self.draft_alerts = [*rest, str(key)] if checked else rest
        self.notice = ""

    @rx.event
    async def save(self) -> None:
        self._clear()
        role_id, permissions = self.selected, list(self.draft_permissions)
        notifications: dict[str, list[str]] = {}
        for key in self.draft_alerts:
            kind, _, channel = key.partition(":")
            notifications.setdefault(kind, []).append(channel)
        try:
            await off_loop(
                self,
                lambda: roles.save_role(
                    employee_id=self._employee_id(),
                    role_id=role_id,
                    permissions=permissions,
                    notifications=notifications,
                ),
            )
        except Unauthenticated:
            raise
        except ServiceError as err:
            self.form_error = err.message
            return
        await self._reload(role_id)
        await off_loop(self, self._identify)  # the header's links follow one's own role at once
        self.notice = t("roles.saved")
