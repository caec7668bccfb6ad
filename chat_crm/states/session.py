"""The logged-in employee, re-checked on the server for every CRM page and event.

The session token is an HttpOnly cookie set by the HTTP route ``/auth/session``
(``chat_crm.session_routes``). The server reads it from the websocket's handshake
(``handshake_token``): it is never a state var, so it never appears in a state delta,
and a tab whose state was lost (a Redis restart) rebuilds it from the cookie and the
database on its next event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from chat_crm import live, realtime
from chat_crm.routes import EMPLOYEE_COOKIE
from chat_crm.services import auth, notifications
from chat_crm.services.access import Permission
from chat_crm.services.errors import ServiceError, Unauthenticated
from chat_crm.texts import t

T = TypeVar("T")
LOGIN_ROUTE = "/login"
SESSION_ROUTE = "/auth/session"
LOGOUT_ROUTE = "/auth/logout"

# Sessions already checked during one piece of off-loop work (see ConversationMixin._off_loop):
# an event is checked once, however many services it calls.
resolved_sessions: ContextVar[dict[str, int] | None] = ContextVar("resolved_sessions", default=None)
HOME_ROUTE = "/support/chats"


def handshake_token(state: rx.State, cookie_name: str) -> str:
    """The value of an (HttpOnly) cookie as the browser sent it when its websocket opened."""
    header = state.router.headers.cookie or ""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie_name:
            return value.strip().strip('"')
    return ""


async def off_loop(state: rx.State, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking ``fn`` in a thread; its events name this tab as their origin."""
    origin = state.router.session.client_token

    def run() -> T:
        realtime.current_origin.set(origin)
        resolved_sessions.set({})
        return fn(*args, **kwargs)

    return await asyncio.to_thread(run)


def open_session(ticket: str, next_path: str) -> rx.event.EventSpec:
    """A full page load through the route that turns the ticket into the HttpOnly cookie.

    A full load, not Reflex's client-side navigation: the route must see the request,
    and the new websocket must carry the new cookie.
    """
    url = f"{SESSION_ROUTE}?ticket={quote(ticket)}&next={quote(next_path)}"
    return rx.call_script(f"window.location.replace({json.dumps(url)})")


def leave_session() -> rx.event.EventSpec:
    return rx.call_script(f"window.location.replace({json.dumps(LOGOUT_ROUTE)})")


class SessionState(rx.State):
    employee_name: str = ""
    permissions: list[str] = []
    inbox: notifications.StaffInbox | None = None

    def _session_token(self) -> str:
        return handshake_token(self, EMPLOYEE_COOKIE)

    def _employee_id(self) -> int:
        """The acting employee for this event; raises if the session is gone."""
        token = self._session_token()
        memo = resolved_sessions.get()
        if memo is not None and token in memo:
            return memo[token]
        identity = auth.resolve_employee(token)
        if identity is None:
            raise Unauthenticated(t("error.session_expired"))
        if memo is not None:
            memo[token] = identity.employee_id
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
        """Blocking (the database): from an event, run it through ``off_loop``."""
        identity = auth.resolve_employee(self._session_token())
        if identity is None:
            self.employee_name, self.permissions = "", []
            return False
        self.employee_name = identity.full_name
        self.permissions = sorted(identity.permissions)
        self.inbox = notifications.staff_inbox(employee_id=identity.employee_id)
        # The badge grows live (N1): the listener refreshes this tab on a new entry.
        live.inbox_watchers.watch(self.router.session.client_token, SessionState, identity.employee_id)
        return True

    async def apply_inbox(self) -> None:
        """A new «Уведомления» entry for this tab's employee: re-read the list and the badge."""
        identity = await asyncio.to_thread(auth.resolve_employee, self._session_token())
        if identity is None:
            return
        self.inbox = await asyncio.to_thread(notifications.staff_inbox, employee_id=identity.employee_id)

    @rx.event
    async def open_inbox(self, is_open: bool) -> None:
        """Opening «Уведомления» marks them read; the list stays as it was shown."""
        if is_open and self.inbox is not None and self.inbox.unread:
            await off_loop(self, lambda: notifications.mark_staff_inbox_read(employee_id=self._employee_id()))
            self.inbox = dataclasses.replace(self.inbox, unread=0)

    @rx.event
    async def require_login(self):  # type: ignore[no-untyped-def]
        if not await off_loop(self, self._identify):
            return rx.redirect(LOGIN_ROUTE)
        return None

    @rx.event
    def logout(self):  # type: ignore[no-untyped-def]
        """The route ends the session in the database and clears the HttpOnly cookie."""
        self.employee_name, self.permissions = "", []
        return leave_session()


class LoginState(SessionState):
    error: str = ""

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        try:
            # argon2 and the throttle's database work stay off the event loop.
            ticket = await off_loop(self, auth.login_ticket, email, password, self.router.session.client_ip)
        except ServiceError as err:
            self.error = err.message
            return None
        self.error = ""
        # Through "/", whose page forwards to the chat list in the browser: a full load of
        # /support/chats itself would come back as /support/chats/ from the static server.
        return open_session(ticket, "/")

    @rx.event
    async def skip_if_logged_in(self):  # type: ignore[no-untyped-def]
        if await off_loop(self, self._identify):
            return rx.redirect(HOME_ROUTE)
        return None
