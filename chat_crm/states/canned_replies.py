"""«Шаблоны ответов» (P13): the settings tab, and the «/» list of the CRM composer.

Every rule is in services/canned_replies.py; these states only hold what the screens show.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from chat_crm.services import canned_replies as canned
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import parse_id
from chat_crm.services.settings import Option
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t

_FIELD_ERRORS = {"title": "title_error", "text": "text_error", "scope": "scope_error"}


class CannedRepliesState(SessionState):
    """Tab «Шаблоны ответов» of «Поддержка» → «Настройки»."""

    replies: list[canned.CannedReplyView] = []
    scopes: list[Option] = []
    search: str = ""
    loaded: bool = False
    notice: str = ""
    list_error: str = ""
    # the editor (a modal): editing_id 0 is a new template
    editor_open: bool = False
    editing_id: int = 0
    title: str = ""
    text: str = ""
    scope: str = canned.PERSONAL
    title_error: str = ""
    text_error: str = ""
    scope_error: str = ""
    form_error: str = ""
    # the delete confirmation
    deleting_id: int = 0
    deleting_title: str = ""

    @rx.var
    def editor_heading(self) -> str:
        return t("canned.edit_title") if self.editing_id else t("canned.new_title")

    @rx.var
    def text_counter(self) -> str:
        return f"{len(self.text.strip())}/{canned.MAX_TEXT}"

    @rx.var
    def delete_question(self) -> str:
        return t("canned.delete_confirm", title=self.deleting_title)

    def _read(self) -> tuple[list[canned.CannedReplyView], list[Option]] | None:
        if not self._identify():
            return None
        employee_id = self._employee_id()
        return (
            canned.list_replies(employee_id=employee_id, search=self.search),
            canned.scope_options(employee_id=employee_id),
        )

    async def _refresh(self) -> None:
        try:
            found = await off_loop(self, self._read)
        except ServiceError as err:
            self.replies, self.list_error = [], err.message
            return
        if found is not None:
            self.replies, self.scopes = found
            self.list_error, self.loaded = "", True

    @rx.event
    async def on_load(self) -> None:
        self.search, self.notice, self.editor_open, self.deleting_id = "", "", False, 0
        await self._refresh()

    @rx.event
    async def set_search(self, value: str) -> None:
        self.search = str(value)[:200]
        await self._refresh()

    # ---- the editor ----------------------------------------------------------------------------
    def _clear_errors(self) -> None:
        self.title_error = self.text_error = self.scope_error = self.form_error = ""

    @rx.event
    def open_new(self) -> None:
        self._clear_errors()
        self.editing_id, self.title, self.text, self.notice = 0, "", "", ""
        self.scope = canned.PERSONAL
        self.editor_open = True

    @rx.event
    def open_edit(self, reply_id: int) -> None:
        reply = next((r for r in self.replies if r.id == parse_id(reply_id)), None)
        if reply is None:
            return
        self._clear_errors()
        self.editing_id, self.title, self.text, self.scope = reply.id, reply.title, reply.text, reply.scope
        self.notice, self.editor_open = "", True

    @rx.event
    def editor_open_change(self, is_open: bool) -> None:
        self.editor_open = bool(is_open)

    @rx.event
    def close_editor(self) -> None:
        self.editor_open = False

    @rx.event
    def set_title(self, value: str) -> None:
        self.title, self.title_error = str(value), ""

    @rx.event
    def set_text(self, value: str) -> None:
        self.text, self.text_error = str(value), ""

    @rx.event
    def set_scope(self, value: str) -> None:
        self.scope, self.scope_error = str(value), ""

    @rx.event
    async def save(self, form: dict[str, Any]) -> None:
        # What the user sees in the fields is what is saved, even if a last on_change is still on its way.
        self.title = str(form.get("title", self.title))
        self.text = str(form.get("text", self.text))
        self._clear_errors()
        data = canned.CannedReplyInput(title=self.title, text=self.text, scope=self.scope)
        reply_id = self.editing_id

        def write() -> None:
            employee_id = self._employee_id()
            if reply_id:
                canned.update_reply(employee_id=employee_id, reply_id=reply_id, data=data)
            else:
                canned.create_reply(employee_id=employee_id, data=data)

        try:
            await off_loop(self, write)
        except ServiceError as err:
            # Everything typed stays: only the message beside the field changes.
            setattr(self, _FIELD_ERRORS.get(err.field, "form_error"), err.message)
            return
        self.editor_open, self.notice = False, t("canned.saved")
        await self._refresh()

    # ---- deleting ------------------------------------------------------------------------------
    @rx.event
    def ask_delete(self, reply_id: int) -> None:
        reply = next((r for r in self.replies if r.id == parse_id(reply_id)), None)
        if reply is not None:
            self.deleting_id, self.deleting_title, self.notice = reply.id, reply.title, ""

    @rx.event
    def cancel_delete(self) -> None:
        self.deleting_id = 0

    @rx.event
    def delete_open_change(self, is_open: bool) -> None:
        if not is_open:  # Esc or a click outside: the same as «Отмена»
            self.deleting_id = 0

    @rx.event
    async def confirm_delete(self) -> None:
        reply_id, self.deleting_id = self.deleting_id, 0
        try:
            await off_loop(
                self, lambda: canned.delete_reply(employee_id=self._employee_id(), reply_id=reply_id)
            )
        except ServiceError as err:
            self.list_error = err.message
            return
        self.notice = t("canned.deleted")
        await self._refresh()


class CannedPickerState(SessionState):
    """The «/» list of the CRM composer: the employee's templates, filled for the open chat.

    Read once per card open; assets/canned.js filters and inserts them in the browser, so typing
    sends no event. The list travels as JSON in a data attribute and is shown as text only.
    """

    choices_json: str = "[]"

    @rx.event
    async def on_load(self) -> None:
        self.choices_json = "[]"
        await self.refresh()

    async def refresh(self) -> None:
        """Read again: the card changed the chat's unit, and «{объект}» must follow it."""
        chat_id = parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        if not chat_id:
            return

        def read() -> list[canned.CannedChoice]:
            return canned.replies_for_chat(employee_id=self._employee_id(), chat_id=chat_id)

        try:
            choices = await off_loop(self, read)
        except ServiceError:
            return  # the card itself says why the chat cannot be shown
        rows = [{"id": c.id, "title": c.title, "text": c.text, "scope": c.scope_label} for c in choices]
        self.choices_json = json.dumps(rows, ensure_ascii=False)
