"""The chat card (C1–C5): information, client, history and the conversation."""

from __future__ import annotations

import dataclasses
from typing import Any, BinaryIO, ClassVar

import reflex as rx

from chat_crm.services import attachments, chats, deeplinks, messages
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import HISTORY_LIMIT
from chat_crm.states.canned_replies import CannedPickerState
from chat_crm.states.conversation import ConversationMixin, key_of, text_of
from chat_crm.states.session import SessionState
from chat_crm.texts import t


def first_name(full_name: str) -> str:
    """«Анна» of «Соколова Анна Сергеевна»: how the client's typing indicator names staff."""
    words = full_name.split()
    return words[1] if len(words) >= 2 else full_name


class ChatCardState(ConversationMixin, SessionState):
    _side: ClassVar[str] = "employee"
    _read_by: ClassVar[str] = "client"
    _viewer_id: int = 0
    chat_id: int = 0
    card: chats.ChatCard | None = None
    history: list[chats.HistoryEntry] = []
    # the deep link being attached (M5)
    link_choices: deeplinks.DeepLinkChoices | None = None
    link_open: bool = False
    link_kind: str = ""
    link_project: str = ""
    link_label: str = ""  # shown in the composer once attached
    link_error: str = ""
    voice_supported: bool = True

    @rx.var
    def route_chat_id(self) -> int:
        return messages.parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    @rx.var
    def link_needs_project(self) -> bool:
        return self.link_kind in {k.value for k in deeplinks.NEEDS_PROJECT}

    def _read_card(self) -> tuple[chats.ChatCard, list[chats.HistoryEntry]]:
        employee_id = self._employee_id()
        return (
            chats.chat_card(employee_id=employee_id, chat_id=self.chat_id),
            chats.chat_history(employee_id=employee_id, chat_id=self.chat_id),
        )

    async def _reload(self) -> None:
        self.card, self.history = await self._off_loop(self._read_card)

    # ---- the conversation hooks ---------------------------------------------------------
    def _viewer(self) -> messages.Viewer:
        return messages.Viewer(employee_id=self._viewer_id)

    def _shown_chat(self) -> int:
        return self.chat_id if self.card is not None and self.route_chat_id == self.chat_id else 0

    def _load_messages(
        self, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
    ) -> list[messages.MessageView]:
        return messages.messages_for_employee(
            employee_id=self._employee_id(),
            chat_id=self.chat_id,
            after_id=after_id,
            before_id=before_id,
            limit=limit,
        )

    def _stage_file(self, filename: str, stream: BinaryIO) -> attachments.StagedFile:
        return attachments.stage_employee_file(
            employee_id=self._employee_id(), chat_id=self.chat_id, filename=filename, stream=stream
        )

    def _edit(self, message_id: int, text: str) -> None:
        messages.edit_employee_message(employee_id=self._employee_id(), message_id=message_id, text=text)

    def _delete(self, message_id: int) -> None:
        messages.delete_employee_message(employee_id=self._employee_id(), message_id=message_id)

    def _mark_read(self) -> None:
        messages.mark_read_by_employee(employee_id=self._employee_id(), chat_id=self.chat_id)

    def _typing_name(self) -> str:
        self._employee_id()  # the session still holds
        return t("typing.employee", name=first_name(self.employee_name))

    async def _on_new_messages(self, views: list[messages.MessageView]) -> None:
        if self.card is not None:
            # «Обновлено» is the newest message's time: no need to re-read the card.
            self.card = dataclasses.replace(self.card, updated=views[-1].when)

    async def _on_chat_changed(self) -> None:
        try:
            await self._reload()
        except ServiceError:
            self.card = None
        # «Клиент» and «Управление» (C2, C3) live in their own state; imported here to avoid a cycle.
        from chat_crm.states.chat_manage import ChatManageState

        await (await self.get_state(ChatManageState)).refresh()
        await (await self.get_state(CannedPickerState)).refresh()  # «{объект}» follows the chat (P13)

    def _open(self) -> tuple[chats.ChatCard, list[chats.HistoryEntry], list[messages.MessageView], Any]:
        """Everything the card shows, read in one trip off the event loop."""
        employee_id = self._employee_id()
        card, history = self._read_card()
        choices = deeplinks.deep_link_choices(employee_id=employee_id) if self.can_send else None
        return card, history, self._load_messages(), choices

    async def _rebuild(self) -> Any:
        return await self.on_load()

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not await self._off_loop(self._identify):
            return rx.redirect("/login")
        self._unwatch()
        if self.chat_id != self.route_chat_id:
            self.draft = ""  # each chat has its own draft, kept by chat.js (P18)
        self.chat_id = self.route_chat_id
        self.card, self.messages, self.fresh, self.history, self.editing_id = None, [], [], [], 0
        try:
            self._viewer_id = await self._off_loop(self._employee_id)
            self._booted(f"crm:{self._viewer_id}:{self.chat_id}")
            card, history, views, self.link_choices = await self._off_loop(self._open)
        except ServiceError as err:
            self.error = err.message
            return None
        self.card, self.history, self.error = card, history, ""
        self._show(views)
        self._watch(self.chat_id)
        # M4: offer dictation only where the browser has speech recognition.
        return rx.call_script(
            "!!(window.SpeechRecognition || window.webkitSpeechRecognition)",
            callback=ChatCardState.set_voice_supported,
        )

    @rx.event
    def set_voice_supported(self, supported: bool) -> None:
        self.voice_supported = bool(supported)

    @rx.event
    def dictated(self, text: str) -> None:
        """The browser's speech recognition heard ``text`` (M4); empty means it failed."""
        if not text:
            self.error = t("voice.failed")
            return
        self.draft = f"{self.draft} {text}".strip()
        self.error = ""

    # ---- deep links (M5) -------------------------------------------------------------------
    @rx.event
    def set_link_open(self, value: bool) -> None:
        self.link_open, self.link_error = value, ""

    @rx.event
    def set_link_kind(self, value: str) -> None:
        self.link_kind = value

    @rx.event
    def set_link_project(self, value: str) -> None:
        self.link_project = value

    @rx.event
    def attach_link(self) -> None:
        choices = self.link_choices
        kind = next((o for o in (choices.kinds if choices else []) if o.value == self.link_kind), None)
        if kind is None:
            self.link_error = t("error.link_unavailable")
            return
        if self.link_needs_project:
            project = next((o for o in choices.projects if o.value == self.link_project), None)  # type: ignore[union-attr]
            if project is None:
                self.link_error = t("error.link_project")
                return
            self.link_label = f"{kind.label}: {project.label}"
        else:
            self.link_label = kind.label
        self.link_open, self.link_error = False, ""

    @rx.event
    def remove_link(self) -> None:
        self.link_label, self.link_kind, self.link_project = "", "", ""

    # ---- sending ----------------------------------------------------------------------------
    def _send_now(self, text: str, key: str, extras: bool = True) -> list[messages.MessageView]:
        """Send, then read what is new since the screen's last message: one trip off the loop.
        ``extras``: with the staged file and the attached link (a resend carries text only)."""
        # A state rebuilt after a loss (a Redis restart) knows its chat from the route.
        self.chat_id = self.chat_id or self.route_chat_id
        messages.send_employee_message(
            employee_id=self._employee_id(),
            chat_id=self.chat_id,
            text=text,
            client_msg_id=key,
            attachment_id=self.staged.id if self.staged and extras else None,
            link_kind=self.link_kind if self.link_label and extras else "",
            link_project_id=(messages.parse_id(self.link_project) or None) if extras else None,
        )
        try:
            return self._load_messages(after_id=self._last_id)
        except ServiceError:
            return []  # stored: the live path or the next load shows it

    @rx.event
    async def send(self, form: dict[str, str]) -> None:
        text = text_of(form, self.draft)
        if self.editing_id:
            await self._save_edit(text)
            return
        key = key_of(form)
        await self._ensure_built()
        try:
            fresh = await self._off_loop(self._send_now, text, key)
        except ServiceError as err:
            self._refuse(key, err.message)  # the typed text, file and link stay
            return
        self.remove_link()
        self._after_send(fresh, key)

    @rx.event
    async def resend(self, form: dict[str, str]) -> None:
        """chat.js resends a text it sent and never saw confirmed (a crash, a lost state):
        the same key, so a send that did arrive is not stored twice (P18)."""
        text, key = text_of(form), key_of(form)
        await self._ensure_built()
        try:
            fresh = await self._off_loop(self._send_now, text, key, False)
        except ServiceError as err:
            self._refuse(key, err.message)
            return
        self._after_send(fresh, key, resent_text=text)

    @rx.event
    async def close_dialog(self, reason: str) -> None:
        try:
            await self._off_loop(
                lambda: messages.close_dialog(
                    employee_id=self._employee_id(), chat_id=self.chat_id, reason=reason
                )
            )
        except ServiceError as err:
            self.error = err.message
            return
        self.error = ""
        await self._catch_up()
        await self._reload()
