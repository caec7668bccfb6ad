"""The logged-in employee, re-checked on the server for every CRM page and event."""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar

import reflex as rx

from chat_crm.services import auth, notifications
from chat_crm.services.access import Permission
from chat_crm.services.errors import Unauthenticated
from chat_crm.texts import t

LOGIN_ROUTE = "/login"

# Sessions already checked during one piece of off-loop work (see ConversationMixin._off_loop):
# an event is checked once, however many services it calls.
resolved_sessions: ContextVar[dict[str, int] | None] = ContextVar("resolved_sessions", default=None)
HOME_ROUTE = "/support/chats"


class SessionState(rx.State):
    session_token: str = rx.Cookie("", name="chat_crm_session", same_site="strict", max_age=30 * 86400)
    employee_name: str = ""
    permissions: list[str] = []
    inbox: notifications.StaffInbox | None = None

    def _employee_id(self) -> int:
        """The acting employee for this event; raises if the session is gone."""
        memo = resolved_sessions.get()
        if memo is not None and self.session_token in memo:
            return memo[self.session_token]
        identity = auth.resolve_employee(self.session_token)
        if identity is None:
            raise Unauthenticated(t("error.session_expired"))
        if memo is not None:
            memo[self.session_token] = identity.employee_id
        return identity.employee_id

    @rx.var
    def can_send(self) -> bool:
        return Permission.chat_send.value in self.permissions

    @rx.var
    def can_open_settings(self) -> bool:
        return Permission.support_settings.value in self.permissions

    @rx.var
    def can_open_roles(self) -> bool:
        return Permission.roles.value in self.permissions

    def _identify(self) -> bool:
        identity = auth.resolve_employee(self.session_token)
        if identity is None:
            self.employee_name, self.permissions = "", []
            return False
        self.employee_name = identity.full_name
        self.permissions = sorted(identity.permissions)
        self.inbox = notifications.staff_inbox(employee_id=identity.employee_id)
        return True

    @rx.event
    def open_inbox(self, is_open: bool) -> None:
        """Opening «Уведомления» marks them read; the list stays as it was shown."""
        if is_open and self.inbox is not None and self.inbox.unread:
            notifications.mark_staff_inbox_read(employee_id=self._employee_id())
            self.inbox = dataclasses.replace(self.inbox, unread=0)

    @rx.event
    def require_login(self):  # type: ignore[no-untyped-def]
        if not self._identify():
            return rx.redirect(LOGIN_ROUTE)
        return None

    @rx.event
    def logout(self):  # type: ignore[no-untyped-def]
        auth.logout(self.session_token)
        self.session_token = ""
        self.employee_name, self.permissions = "", []
        return rx.redirect(LOGIN_ROUTE)


class LoginState(SessionState):
    error: str = ""

    @rx.event
    def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        from chat_crm.services.errors import ServiceError

        try:
            self.session_token = auth.login(form.get("email", ""), form.get("password", ""))
        except ServiceError as err:
            self.error = err.message
            return None
        self.error = ""
        return rx.redirect(HOME_ROUTE)

    @rx.event
    def skip_if_logged_in(self):  # type: ignore[no-untyped-def]
        if self._identify():
            return rx.redirect(HOME_ROUTE)
        return None
