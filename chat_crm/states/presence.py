"""The header's «В сети» / «Не в сети» switch (P11): one click, kept in the database."""

from __future__ import annotations

import reflex as rx

from chat_crm.services import presence
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState, off_loop


class PresenceState(SessionState):
    online: bool = True
    known: bool = False  # read from the database once the header is on screen

    @rx.event
    async def load(self) -> None:
        try:
            self.online = await off_loop(self, lambda: presence.is_online(employee_id=self._employee_id()))
        except ServiceError:
            return  # no session: the page's own on_load sends the visitor to «Вход»
        self.known = True

    @rx.event
    async def toggle(self) -> None:
        wanted = not self.online
        try:
            self.online = await off_loop(
                self, lambda: presence.set_online(employee_id=self._employee_id(), online=wanted)
            )
        except ServiceError:
            return
        self.known = True
