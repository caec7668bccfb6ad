"""The chat card (C1–C5): information, client, history and the conversation."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from chat_crm import live
from chat_crm.services import chats, messages
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState


def _new_draft_id() -> str:
    return uuid.uuid4().hex


class ChatCardState(SessionState):
    chat_id: int = 0
    card: chats.ChatCard | None = None
    history: list[chats.HistoryEntry] = []
    messages: list[messages.MessageView] = []
    draft: str = ""
    draft_id: str = ""
    error: str = ""

    @rx.var
    def route_chat_id(self) -> int:
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() else 0

    def _reload(self) -> None:
        employee_id = self._employee_id()
        self.card = chats.chat_card(employee_id=employee_id, chat_id=self.chat_id)
        self.history = chats.chat_history(employee_id=employee_id, chat_id=self.chat_id)

    def _catch_up(self) -> None:
        last = self.messages[-1].id if self.messages else 0
        fresh = messages.messages_for_employee(
            employee_id=self._employee_id(), chat_id=self.chat_id, after_id=last
        )
        if fresh:
            # Keep only the newest screenful: every update carries the whole list.
            self.messages = (self.messages + fresh)[-messages.HISTORY_LIMIT :]

    @rx.event
    def on_load(self):  # type: ignore[no-untyped-def]
        if not self._identify():
            return rx.redirect("/login")
        self.chat_id = self.route_chat_id
        self.card, self.messages, self.history = None, [], []
        self.draft_id = self.draft_id or _new_draft_id()
        try:
            employee_id = self._employee_id()
            messages.mark_read_by_employee(employee_id=employee_id, chat_id=self.chat_id)
            self._reload()
            self.messages = messages.messages_for_employee(employee_id=employee_id, chat_id=self.chat_id)
        except ServiceError as err:
            self.error = err.message
            return None
        self.error = ""
        live.watch(self.chat_id, self.router.session.client_token, ChatCardState)
        return None

    def _apply_live_event(self, event: dict[str, Any]) -> None:
        if event.get("chat_id") != self.chat_id or self.card is None:
            return
        try:
            if event.get("topic") == "chat.message":
                self._catch_up()
                messages.mark_read_by_employee(employee_id=self._employee_id(), chat_id=self.chat_id)
            self._reload()
        except ServiceError:
            self.card = None

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def send(self, form: dict[str, str]) -> None:
        text = form.get("text", self.draft)
        try:
            messages.send_employee_message(
                employee_id=self._employee_id(),
                chat_id=self.chat_id,
                text=text,
                client_msg_id=self.draft_id,
            )
        except ServiceError as err:
            self.error = err.message  # the typed text stays in the field
            return
        self.error, self.draft, self.draft_id = "", "", _new_draft_id()
        self._catch_up()
        self._reload()
