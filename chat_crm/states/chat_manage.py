"""The chat card's «Клиент» and «Управление» (C2, C3) and «Назначить на меня» (P10).

A state of its own beside ``ChatCardState`` (the conversation): the card's
``_on_chat_changed`` calls ``refresh`` when another screen changed the chat, and a
save here reloads the card's «Информация» and «История изменений» in the same trip
(this tab caused the event, so the live path skips it). The rules are in
``services.chat_management``; every handler may be called with any payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from chat_crm import realtime
from chat_crm.services import chat_management, chats
from chat_crm.services.chat_management import ChatChanges, ClientInfo, ManagementForm, ManagementView
from chat_crm.services.errors import ServiceError
from chat_crm.services.settings import Option
from chat_crm.states.canned_replies import CannedPickerState
from chat_crm.states.chat_card import ChatCardState
from chat_crm.states.session import SessionState, resolved_sessions
from chat_crm.texts import t

T = TypeVar("T")

FIELDS = ("unit", "topic", "department", "responsible", "comment")


class ChatManageState(SessionState):
    _chat_id: int = 0
    client: ClientInfo | None = None
    saved_form: ManagementForm = ManagementForm()  # what the chat holds
    unit: str = ""
    topic: str = ""
    department: str = ""
    responsible: str = ""
    comment: str = ""
    units: list[Option] = []
    topics: list[Option] = []
    departments: list[Option] = []
    responsibles: list[Option] = []
    can_edit: bool = False
    can_take: bool = False
    comment_limit: int = chat_management.COMMENT_LIMIT
    field_errors: dict[str, str] = {}
    manage_error: str = ""
    manage_notice: str = ""
    loaded: bool = False

    @rx.var
    def comment_counter(self) -> str:
        return f"{len(self.comment)} / {self.comment_limit}"

    def _dirty(self) -> bool:
        return self._changes() != ChatChanges()

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking work in a thread; its events name this tab, which shows their result itself."""
        origin = self.router.session.client_token

        def run() -> T:
            realtime.current_origin.set(origin)
            resolved_sessions.set({})
            return fn(*args)

        return await asyncio.to_thread(run)

    def _route_chat_id(self) -> int:
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() else 0

    def _show(self, view: ManagementView, *, keep_typed: bool = False) -> None:
        """Show what the chat holds. ``keep_typed``: a field the user changed and has not saved
        stays as typed; the others follow the chat."""
        before = self.saved_form
        for name in FIELDS:
            if not keep_typed or getattr(self, name) == getattr(before, name):
                setattr(self, name, getattr(view.form, name))
        if self.department == view.form.department:
            self.responsibles = view.responsibles
        self.client, self.saved_form = view.client, view.form
        self.units, self.topics, self.departments = view.units, view.topics, view.departments
        self.can_edit, self.can_take, self.comment_limit = view.can_edit, view.can_take, view.comment_limit
        self.loaded = True

    def _changes(self) -> ChatChanges:
        """Only the fields the user changed: a concurrent change of another field is not undone."""
        saved = self.saved_form
        return ChatChanges(
            **{name: getattr(self, name) for name in FIELDS if getattr(self, name) != getattr(saved, name)}
        )

    def _details(self) -> ManagementView:
        return chat_management.card_details(employee_id=self._employee_id(), chat_id=self._chat_id)

    @rx.event
    async def on_load(self) -> None:
        self._chat_id, self.loaded, self.client = self._route_chat_id(), False, None
        self.field_errors, self.manage_error, self.manage_notice = {}, "", ""
        try:
            self._show(await self._off_loop(self._details))
        except ServiceError:
            self.can_edit = self.can_take = False  # the card itself says why

    async def refresh(self) -> None:
        """Another screen changed the chat: show it, keeping what this user is typing."""
        if not self._chat_id or self._chat_id != self._route_chat_id():
            return
        try:
            view = await self._off_loop(self._details)
        except ServiceError:
            self.loaded = False
            return
        self._show(view, keep_typed=self._dirty())

    # ---- the form ------------------------------------------------------------------------------
    def _edited(self, field: str) -> None:
        self.manage_notice = ""
        self.field_errors = {k: v for k, v in self.field_errors.items() if k != field}

    @rx.event
    def set_unit(self, value: str) -> None:
        self.unit = str(value)
        self._edited("unit")

    @rx.event
    def set_topic(self, value: str) -> None:
        self.topic = str(value)
        self._edited("topic")

    @rx.event
    def set_responsible(self, value: str) -> None:
        self.responsible = str(value)
        self._edited("responsible")

    @rx.event
    def set_comment(self, value: str) -> None:
        self.comment = str(value)
        self._edited("comment")

    @rx.event
    async def set_department(self, value: str) -> None:
        """«Ответственный» then lists who may answer in that department (C3)."""
        self.department = str(value)
        self._edited("department")
        try:
            self.responsibles = await self._off_loop(
                lambda: chat_management.responsible_options(
                    employee_id=self._employee_id(), chat_id=self._chat_id, department=self.department
                )
            )
        except ServiceError as err:
            self.field_errors = {**self.field_errors, err.field or "department": err.message}
            self.responsibles = []
        if self.responsible not in {o.value for o in self.responsibles}:
            self.responsible = ""

    # ---- saving ----------------------------------------------------------------------------------
    def _then_card(self, action: Callable[[], ManagementView]) -> tuple[ManagementView, Any, Any]:
        """Run ``action``, then read the card's «Информация» and history: one trip off the loop."""
        view = action()
        employee_id = self._employee_id()
        return (
            view,
            chats.chat_card(employee_id=employee_id, chat_id=self._chat_id),
            chats.chat_history(employee_id=employee_id, chat_id=self._chat_id),
        )

    async def _run(self, action: Callable[[], ManagementView], *, keep_typed: bool = False) -> None:
        try:
            view, card, history = await self._off_loop(self._then_card, action)
        except ServiceError as err:
            # What was typed stays; the message goes beside its field, or above the buttons.
            if err.field in FIELDS:
                self.field_errors, self.manage_error = {err.field: err.message}, ""
            else:
                self.field_errors, self.manage_error = {}, err.message
            self.manage_notice = ""
            return
        self._show(view, keep_typed=keep_typed)
        if keep_typed:  # only who answers changed: the rest of an unsaved form stays as typed
            self.department, self.responsible = view.form.department, view.form.responsible
            self.responsibles = view.responsibles
        self.field_errors, self.manage_error, self.manage_notice = {}, "", t("card.saved")
        conversation = await self.get_state(ChatCardState)
        conversation.card, conversation.history = card, history
        await (await self.get_state(CannedPickerState)).refresh()  # a new unit: «{объект}» (P13)

    @rx.event
    async def save(self) -> None:
        """«Сохранить» (C3): only the changed fields go, and the server checks each."""
        changes = self._changes()
        if changes == ChatChanges():
            self.field_errors, self.manage_error, self.manage_notice = {}, "", t("card.nothing_changed")
            return
        await self._run(
            lambda: chat_management.update_chat(
                employee_id=self._employee_id(), chat_id=self._chat_id, changes=changes
            )
        )

    @rx.event
    async def assign_to_me(self) -> None:
        """«Назначить на меня» (P10)."""
        await self._run(
            lambda: chat_management.assign_to_me(employee_id=self._employee_id(), chat_id=self._chat_id),
            keep_typed=True,
        )
