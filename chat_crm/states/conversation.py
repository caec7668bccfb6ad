"""What the CRM card and the client app share around a conversation: the window of
messages and its live tail, the draft, the one staged file, editing, read marks and
the typing indicator (M1, M2, M6, M7, M11, P1–P6).

Each screen says who is acting through the hooks below; the rules stay in services/.
Blocking work (the database, file checks) runs in a thread through ``_off_loop``, so
one slow request never holds up the other screens of the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO, ClassVar, TypeVar

import reflex as rx

from chat_crm import live, realtime
from chat_crm.models import utcnow
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import messages
from chat_crm.services.attachments import StagedFile, too_big_message
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import HISTORY_LIMIT, LiveBatch, MessageView, Viewer
from chat_crm.states.session import resolved_sessions
from chat_crm.texts import t

T = TypeVar("T")

# New messages gather in a small ``fresh`` list, so a live update carries only them,
# not the whole window; past this many they join the window.
FRESH_LIMIT = 10
TYPING_SHOWN_MS = 5000
TYPING_EVERY_S = 2.0


# How many confirmed keys a screen keeps for chat.js to see (it needs only the recent ones).
HANDLED_KEYS = 10


def new_draft_id() -> str:
    """A key made on the server: only when a browser sent none (chat.js not loaded)."""
    return uuid.uuid4().hex


def key_of(form: dict[str, Any]) -> str:
    """The send's idempotency key, made by the browser with the draft (chat.js, P18)."""
    key = form.get("client_msg_id", "") if isinstance(form, dict) else ""
    return key if isinstance(key, str) and key else new_draft_id()


def text_of(form: dict[str, Any], default: str = "") -> str:
    text = form.get("text", default) if isinstance(form, dict) else default
    return text if isinstance(text, str) else ""


def _now_ms() -> int:
    return int(time.time() * 1000)


class ConversationMixin(rx.State, mixin=True):
    messages: list[MessageView] = []  # the window the screen opened on (and pages back)
    fresh: list[MessageView] = []  # what arrived since, shown after ``messages``
    read_up_to: int = 0  # the viewer's own messages up to this id are read (M11)
    typing_label: str = ""  # «Клиент печатает…» until ``typing_until`` (epoch ms)
    typing_until: int = 0
    window: int = 0  # how many messages the screen keeps; grows with «Показать предыдущие»
    has_earlier: bool = False
    draft: str = ""
    # Crash-safe sending (P18): the browser keeps each draft and each send in flight, with its
    # key, in localStorage (chat.js) until it sees the key here: stored (or handed to the
    # app's outbox), or refused by a rule (the text goes back to the composer).
    handled_keys: list[str] = []
    refused_key: str = ""
    # Where chat.js keeps this composer's draft, and this state's incarnation: a new one
    # (after a crash or a lost state) tells chat.js to put the kept draft back.
    draft_scope: str = ""
    boot: str = ""
    # A live event found this tab's state gone (a Redis restart without persistence):
    # chat.js then asks for ``rebuild``, an event that carries the route and the cookie.
    lost: bool = False
    error: str = ""
    staged: StagedFile | None = None
    upload_percent: int = -1  # -1: no upload going on
    editing_id: int = 0
    # The draft typed before «Редактировать» replaced it, given back afterwards.
    saved_draft: str = ""
    _last_id: int = 0  # the newest message on screen
    _last_day: str = ""  # its day, for the next date separator
    _typing_sent: float = 0.0

    # Which side this screen is: "client" or "employee". The other side's reading shows
    # as «Прочитано» here, and this side's typing shows on the other screens.
    _side: ClassVar[str] = ""
    _read_by: ClassVar[str] = ""

    # ---- hooks each screen fills in -------------------------------------------------
    def _viewer(self) -> Viewer:
        raise NotImplementedError

    def _shown_chat(self) -> int:
        """The chat this screen shows now, or 0."""
        raise NotImplementedError

    def _stage_file(self, filename: str, stream: BinaryIO) -> StagedFile:
        raise NotImplementedError

    def _edit(self, message_id: int, text: str) -> None:
        raise NotImplementedError

    def _delete(self, message_id: int) -> None:
        raise NotImplementedError

    def _mark_read(self) -> None:
        raise NotImplementedError

    def _typing_name(self) -> str:
        """This side's typist, as the other side's indicator names them."""
        raise NotImplementedError

    def _load_messages(
        self, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
    ) -> list[MessageView]:
        raise NotImplementedError

    async def _rebuild(self) -> Any:
        """Open the screen again from the route, the cookie and the database (a lost state)."""
        raise NotImplementedError

    async def _on_new_messages(self, views: list[MessageView]) -> None:
        """Live messages arrived (already on screen)."""

    async def _on_chat_changed(self) -> None:
        """The chat's own fields changed (responsible, dialog state…)."""

    # ---- running services off the event loop ----------------------------------------------
    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking ``fn`` in a thread; its events name this tab as their origin."""
        origin = self.router.session.client_token

        def run() -> T:
            realtime.current_origin.set(origin)
            resolved_sessions.set({})
            return fn(*args, **kwargs)

        return await asyncio.to_thread(run)

    def _watch(self, chat_id: int) -> None:
        live.registry.watch(self.router.session.client_token, type(self), chat_id, self._last_id)

    def _unwatch(self) -> None:
        live.registry.unwatch(self.router.session.client_token, type(self))

    # ---- the message list -----------------------------------------------------------
    def _show(self, views: list[MessageView]) -> None:
        """Open on ``views``, the newest screenful."""
        self.messages = messages.with_day_breaks("", views)
        self.fresh = []
        self.window = HISTORY_LIMIT
        self.has_earlier = len(views) == HISTORY_LIMIT
        self.read_up_to = messages.read_up_to(views)
        self._last_id = views[-1].id if views else 0
        self._last_day = views[-1].day if views else ""
        self.typing_label, self.typing_until = "", 0

    def _append(self, views: list[MessageView]) -> list[MessageView]:
        """Add what is newer than the screen shows; returns what was added."""
        views = [v for v in views if v.id > self._last_id]
        if not views:
            return []
        views = messages.with_day_breaks(self._last_day, views)
        self._last_id, self._last_day = views[-1].id, views[-1].day
        self.fresh = self.fresh + views
        if len(self.fresh) > FRESH_LIMIT:
            self._fold()
        return views

    def _fold(self) -> None:
        """Move the live tail into the window, keeping a screenful (or what was paged back)."""
        keep = max(HISTORY_LIMIT, self.window)
        joined = (self.messages + self.fresh)[-keep:]
        if joined and not joined[0].day_break:
            joined[0] = messages.with_day_breaks("", [joined[0]])[0]
        self.messages, self.fresh = joined, []

    def _replace(self, view: MessageView) -> None:
        def swap(views: list[MessageView]) -> list[MessageView]:
            return [dataclasses.replace(view, day_break=v.day_break) if v.id == view.id else v for v in views]

        if any(v.id == view.id for v in self.fresh):
            self.fresh = swap(self.fresh)
        elif any(v.id == view.id for v in self.messages):
            self.messages = swap(self.messages)

    async def _catch_up(self) -> None:
        self._append(await self._off_loop(self._load_messages, self._last_id))

    async def _refresh_message(self, message_id: int) -> None:
        """Show the current state of one message this screen changed itself."""
        chat_id = self._shown_chat()
        batch = await self._off_loop(messages.live_batch, chat_id=chat_id, message_ids=(message_id,))
        for facts in batch.facts:
            self._replace(messages.view_for(facts, self._viewer(), utcnow()))

    @rx.event
    async def load_earlier(self) -> None:
        """«Показать предыдущие сообщения»: the whole history stays reachable (M10)."""
        shown = self.messages + self.fresh
        if not shown:
            return
        earlier = await self._off_loop(self._load_messages, before_id=shown[0].id)
        cleared = [dataclasses.replace(v, day_break="") for v in earlier + shown]
        self.messages, self.fresh = messages.with_day_breaks("", cleared), []
        self.window = len(self.messages)
        self.has_earlier = len(earlier) == HISTORY_LIMIT

    # ---- a state the server lost -------------------------------------------------------
    async def _ensure_built(self) -> None:
        """An event of a screen whose state the server no longer had: open it again first."""
        if not self.boot:
            await self._rebuild()

    @rx.event
    async def rebuild(self) -> Any:
        self.lost = False
        if not self.boot:
            return await self._rebuild()
        return None

    # ---- live events ----------------------------------------------------------------
    async def apply_live(self, event: ChatEvent, batch: LiveBatch) -> int:
        """Show a bus event (see ``live.LiveScreen``); returns the newest id shown."""
        if not self.boot:
            # A default state: the one this tab had is gone. This delivery has no route or
            # cookie to rebuild it; the browser asks for that (``rebuild``).
            self.lost = True
            return self._last_id
        if event.chat_id != self._shown_chat():
            self._unwatch()  # the tab went on elsewhere: it no longer shows (or reads) this chat
            return self._last_id
        topic = event.topic
        if topic == EventTopic.message:
            viewer, now = self._viewer(), utcnow()
            added = self._append([messages.view_for(f, viewer, now) for f in batch.facts])
            if any(not v.is_mine for v in added):
                self.typing_label, self.typing_until = "", 0
            if added:
                await self._on_new_messages(added)
        elif topic == EventTopic.message_changed:
            viewer, now = self._viewer(), utcnow()
            for facts in batch.facts:
                self._replace(messages.view_for(facts, viewer, now))
        elif topic == EventTopic.read and event.side == self._read_by:
            self.read_up_to = max(self.read_up_to, event.message_id)
        elif topic == EventTopic.typing and event.side != self._side:
            self.typing_label = event.name
            self.typing_until = _now_ms() + TYPING_SHOWN_MS
        elif topic == EventTopic.changed:
            await self._on_chat_changed()
        elif topic == EventTopic.resync:
            await self._catch_up()
        return self._last_id

    @rx.event
    async def mark_read(self) -> None:
        """The tab shows the chat and is visible: what the other side wrote is read (M11).

        The browser sends this, debounced, only while ``document.visibilityState`` is
        "visible": a tab left in the background reads nothing.
        """
        if not self._shown_chat():
            return
        try:
            await self._off_loop(self._mark_read)
        except ServiceError as err:
            self.error = err.message

    @rx.event
    async def typing(self) -> None:
        """The user types (P6): the other side sees «… печатает…». At most one event per 2 s."""
        chat_id = self._shown_chat()
        now = time.monotonic()
        if not chat_id or now - self._typing_sent < TYPING_EVERY_S:
            return
        self._typing_sent = now
        try:
            name = await self._off_loop(self._typing_name)
        except ServiceError:
            return
        realtime.publish(
            ChatEvent(
                EventTopic.typing,
                chat_id=chat_id,
                side=self._side,
                name=name,
                origin=self.router.session.client_token,
            )
        )

    # ---- the draft ------------------------------------------------------------------
    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def add_emoji(self, emoji: str) -> None:
        self.draft = self.draft + emoji

    def _booted(self, scope: str) -> None:
        """The screen (re)opened: name its draft's place and this state's incarnation."""
        self.draft_scope = scope
        self.boot = self.boot or new_draft_id()

    def _handled(self, key: str) -> None:
        """``key`` is stored (or kept in the app's outbox): chat.js forgets that send."""
        if key not in self.handled_keys:
            self.handled_keys = [*self.handled_keys[-(HANDLED_KEYS - 1) :], key]

    def _refuse(self, key: str, message: str) -> None:
        """A rule refused the send: the text stays in the composer, with its key."""
        self.error, self.refused_key = message, key

    def _after_send(self, fresh: list[MessageView], key: str, resent_text: str | None = None) -> None:
        """The send went through; ``fresh`` is what the chat holds since the screen's last message,
        read in the same trip as the send. A resend clears the field only if it still holds
        that text (the original send was lost before it could)."""
        self.error = ""
        if resent_text is None:
            self.draft, self.staged = "", None
        elif self.draft.strip() == resent_text.strip():
            self.draft = ""
        self._handled(key)
        self._append(fresh)
        if chat_id := self._shown_chat():
            live.registry.seen(
                live.ScreenKey(self.router.session.client_token, type(self)), chat_id, self._last_id
            )

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
            staged = await self._off_loop(self._stage_file, file.filename or "file", file.file)
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
        found = next((m for m in self.messages + self.fresh if m.id == message_id and m.can_change), None)
        if found is None:
            return
        if not self.editing_id:
            self.saved_draft = self.draft
        self.editing_id, self.draft, self.error = message_id, found.text, ""

    @rx.event
    def cancel_edit(self) -> None:
        self.editing_id, self.draft, self.saved_draft = 0, self.saved_draft, ""

    async def _save_edit(self, text: str) -> None:
        message_id = self.editing_id
        try:
            await self._off_loop(self._edit, message_id, text)
        except ServiceError as err:
            self.error = err.message
            return
        self.editing_id, self.draft, self.saved_draft, self.error = 0, self.saved_draft, "", ""
        await self._refresh_message(message_id)

    @rx.event
    async def delete_message(self, message_id: int) -> None:
        try:
            await self._off_loop(self._delete, message_id)
        except ServiceError as err:
            self.error = err.message
            return
        self.error = ""
        if self.editing_id == message_id:
            self.cancel_edit()
        await self._refresh_message(message_id)

    @rx.event
    def copy_text(self, text: str):  # type: ignore[no-untyped-def]
        return [rx.set_clipboard(text), rx.toast(t("message.copied"))]
