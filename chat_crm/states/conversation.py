"""What the CRM card and the client app share around a conversation: the draft,
the one staged file, editing a message, and live re-reads (M1, M2, M6, M7).

Each screen says who is acting through the ``_stage_file``, ``_edit``,
``_delete`` and ``_load_messages`` hooks; the rules stay in services/.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any, BinaryIO, ClassVar

import reflex as rx

from chat_crm.services import messages
from chat_crm.services.attachments import StagedFile, too_big_message
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import HISTORY_LIMIT
from chat_crm.texts import t


def new_draft_id() -> str:
    return uuid.uuid4().hex


class ConversationMixin(rx.State, mixin=True):
    messages: list[messages.MessageView] = []
    window: int = 0  # how many messages the screen keeps; grows with «Показать предыдущие»
    has_earlier: bool = False
    draft: str = ""
    draft_id: str = ""
    error: str = ""
    staged: StagedFile | None = None
    upload_percent: int = -1  # -1: no upload going on
    editing_id: int = 0
    # The draft typed before «Редактировать» replaced it, given back afterwards.
    saved_draft: str = ""

    # ---- hooks each screen fills in -------------------------------------------------
    def _stage_file(self, filename: str, stream: BinaryIO) -> StagedFile:
        raise NotImplementedError

    def _edit(self, message_id: int, text: str) -> None:
        raise NotImplementedError

    def _delete(self, message_id: int) -> None:
        raise NotImplementedError

    def _load_messages(
        self, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
    ) -> list[messages.MessageView]:
        raise NotImplementedError

    # ---- the message list -----------------------------------------------------------
    def _catch_up(self) -> None:
        last = self.messages[-1].id if self.messages else 0
        fresh = self._load_messages(last)
        if fresh:
            # Keep a screenful, or what the user asked to see: every update carries the whole list.
            keep = max(messages.HISTORY_LIMIT, self.window)
            self.messages = (self.messages + fresh)[-keep:]

    def _reload_messages(self) -> None:
        """Re-read the window: an edit, a delete or a read receipt changed what it shows."""
        self.messages = self._load_messages(limit=max(messages.HISTORY_LIMIT, len(self.messages)))

    def _show_latest(self) -> None:
        """The newest screenful, on opening the chat."""
        self.messages = self._load_messages()
        self.window = messages.HISTORY_LIMIT
        self.has_earlier = len(self.messages) == messages.HISTORY_LIMIT

    @rx.event
    def load_earlier(self) -> None:
        """«Показать предыдущие сообщения»: the whole history stays reachable (M10)."""
        if not self.messages:
            return
        earlier = self._load_messages(before_id=self.messages[0].id)
        self.messages = earlier + self.messages
        self.window = len(self.messages)
        self.has_earlier = len(earlier) == messages.HISTORY_LIMIT

    # Which side's reading this screen shows as «Прочитано»: "employee" on the client's
    # screen (its messages were read by staff), "client" on the employee's.
    _read_by: ClassVar[str] = ""

    def _apply_message_event(self, event: dict[str, Any]) -> bool:
        """Handle the message part of a live event; True if new messages arrived."""
        topic = event.get("topic")
        if topic == "chat.message":
            last = self.messages[-1].id if self.messages else 0
            if event.get("message_id", 0) <= last:
                return False  # this screen sent it and shows it already
            self._catch_up()
            return True
        if topic == "chat.message_changed":
            self._reload_messages()
        elif topic == "chat.read" and event.get("side") == self._read_by:
            # Everything of ours on screen is read now, and no longer changeable by a
            # client (M7): no need to ask the database.
            self.messages = [
                dataclasses.replace(m, is_read=True, can_change=m.can_change and self._read_by != "employee")
                if m.is_mine
                else m
                for m in self.messages
            ]
        return False

    # ---- the draft ------------------------------------------------------------------
    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def add_emoji(self, emoji: str) -> None:
        self.draft = self.draft + emoji

    def _after_send(self) -> None:
        self.error, self.draft, self.draft_id, self.staged = "", "", new_draft_id(), None
        self._catch_up()

    # ---- the file -------------------------------------------------------------------
    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> None:
        self.upload_percent = -1
        if not files:
            return  # the browser refused the file; ``upload_rejected`` says why
        if len(files) > 1:
            self.error = t("error.one_file")
            return
        file = files[0]
        try:
            staged = await asyncio.to_thread(self._stage_file, file.filename or "file", file.file)
        except ServiceError as err:
            self.error = err.message  # the typed text stays where it is
            return
        self.staged, self.error = staged, ""

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        self.upload_percent = int(float(progress.get("progress", 0) or 0) * 100)

    @rx.event
    def upload_rejected(self, codes: str) -> None:
        """The browser refused the file before sending it; ``codes`` are react-dropzone's."""
        if "file-too-large" in codes:
            self.error = too_big_message()
        elif "too-many-files" in codes:
            self.error = t("error.one_file")
        else:
            self.error = t("error.file_type")

    @rx.event
    def remove_file(self) -> None:
        self.staged = None

    # ---- editing and deleting ---------------------------------------------------------
    @rx.event
    def start_edit(self, message_id: int) -> None:
        found = next((m for m in self.messages if m.id == message_id and m.can_change), None)
        if found is None:
            return
        if not self.editing_id:
            self.saved_draft = self.draft
        self.editing_id, self.draft, self.error = message_id, found.text, ""

    @rx.event
    def cancel_edit(self) -> None:
        self.editing_id, self.draft, self.saved_draft = 0, self.saved_draft, ""

    def _save_edit(self, text: str) -> None:
        try:
            self._edit(self.editing_id, text)
        except ServiceError as err:
            self.error = err.message
            return
        self.editing_id, self.draft, self.saved_draft, self.error = 0, self.saved_draft, "", ""
        self._reload_messages()

    @rx.event
    def delete_message(self, message_id: int) -> None:
        try:
            self._delete(message_id)
        except ServiceError as err:
            self.error = err.message
            return
        self.error = ""
        if self.editing_id == message_id:
            self.cancel_edit()
        self._reload_messages()

    @rx.event
    def copy_text(self, text: str):  # type: ignore[no-untyped-def]
        return [rx.set_clipboard(text), rx.toast(t("message.copied"))]
