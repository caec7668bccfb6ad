"""The simulated mobile app at /app: a picker above a phone-sized frame."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from chat_crm import live
from chat_crm.models import Channel
from chat_crm.services import auth, client_app, messages
from chat_crm.services.errors import ServiceError


class ClientAppState(rx.State):
    app_token: str = rx.LocalStorage("", name="chat_crm_app")
    # the picker
    demo_clients: list[client_app.DemoClient] = []
    picked: str = "anonymous"
    channel: str = Channel.ios.value
    # the app
    opened: bool = False
    screen: str = "storefront"  # storefront | contact | chat
    intro: client_app.ChatIntro | None = None
    projects: list[str] = []
    messages: list[messages.MessageView] = []
    draft: str = ""
    draft_id: str = ""
    error: str = ""

    def _client_id(self) -> int:
        client_id = auth.resolve_client(self.app_token)
        if client_id is None:
            raise ServiceError("Откройте приложение заново")
        return client_id

    @rx.event
    def on_load(self) -> None:
        self.demo_clients = client_app.demo_clients()
        self.projects = client_app.project_names()
        self.opened = auth.resolve_client(self.app_token) is not None
        if self.opened:
            self._refresh_intro()

    def _refresh_intro(self) -> None:
        self.intro = client_app.chat_intro(client_id=self._client_id())

    @rx.event
    def set_picked(self, value: str) -> None:
        self.picked = value

    @rx.event
    def set_channel(self, value: str) -> None:
        self.channel = value if value in {c.value for c in Channel} else Channel.ios.value

    @rx.event
    def open_app(self) -> None:
        client_id = int(self.picked) if self.picked.isdigit() else None
        try:
            self.app_token = auth.start_client_session(client_id, Channel(self.channel))
        except ServiceError as err:
            self.error = err.message
            return
        live.unwatch(self.router.session.client_token, ClientAppState)
        self.opened, self.screen, self.messages, self.error = True, "storefront", [], ""
        self._refresh_intro()

    @rx.event
    def show(self, screen: str) -> None:
        self.screen = screen if screen in {"storefront", "contact"} else "storefront"

    @rx.event
    def open_chat(self) -> None:
        try:
            client_id = self._client_id()
            self._refresh_intro()
            if self.intro is not None and not self.intro.chat_visible:
                self.screen = "storefront"
                return
            self.screen = "chat"
            self.draft_id = self.draft_id or uuid.uuid4().hex
            messages.mark_read_by_client(client_id=client_id)
            self.messages = messages.messages_for_client(client_id=client_id)
            self._watch(client_id)
        except ServiceError as err:
            self.error = err.message

    def _watch(self, client_id: int) -> None:
        chat_id = messages.client_chat_id(client_id=client_id)
        if chat_id is not None:
            live.watch(chat_id, self.router.session.client_token, ClientAppState)

    def _catch_up(self) -> None:
        last = self.messages[-1].id if self.messages else 0
        fresh = messages.messages_for_client(client_id=self._client_id(), after_id=last)
        if fresh:
            self.messages = (self.messages + fresh)[-messages.HISTORY_LIMIT :]

    def _apply_live_event(self, event: dict[str, Any]) -> None:
        if self.screen != "chat":
            return
        try:
            if event.get("topic") == "chat.message":
                self._catch_up()
                messages.mark_read_by_client(client_id=self._client_id())
        except ServiceError:
            self.opened = False

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def send(self, form: dict[str, str]) -> None:
        try:
            client_id = self._client_id()
            messages.send_client_message(
                client_id=client_id, text=form.get("text", self.draft), client_msg_id=self.draft_id
            )
        except ServiceError as err:
            self.error = err.message
            return
        self.error, self.draft, self.draft_id = "", "", uuid.uuid4().hex
        self._watch(client_id)
        self._catch_up()
        self._refresh_intro()
