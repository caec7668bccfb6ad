"""The simulated mobile app at /app: a picker above a phone-sized frame."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import BinaryIO, ClassVar

import reflex as rx

from chat_crm.models import Channel
from chat_crm.realtime import ChatEvent
from chat_crm.routes import CLIENT_COOKIE
from chat_crm.services import attachments, auth, bot, client_app, deeplinks, messages
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import HISTORY_LIMIT, LiveBatch
from chat_crm.states.client_alerts import ClientAlertsMixin
from chat_crm.states.conversation import ConversationMixin, key_of, new_draft_id, text_of
from chat_crm.states.session import handshake_token, open_session
from chat_crm.texts import t


@dataclass(frozen=True)
class UnsentMessage:
    """A send that failed for lack of network (M8): kept with its id for «Повторить»."""

    id: str
    text: str
    file_id: int
    file_name: str


class ClientAppState(ConversationMixin, ClientAlertsMixin, rx.State):
    _side: ClassVar[str] = "client"
    _read_by: ClassVar[str] = "employee"
    _chat_id: int = 0  # the client's chat, once it exists
    # the picker
    demo_clients: list[client_app.DemoClient] = []
    picked: str = "anonymous"
    channel: str = Channel.ios.value
    offline: bool = False  # «Нет сети»: the app's sends fail (M8)
    # Survives a reload of the page, as an app keeps its outbox.
    unsent_json: str = rx.LocalStorage("[]", name="chat_crm_unsent")
    # "chat" while the chat is on screen. Per tab, and cleared by chat.js when the page
    # unloads: a reload is an app relaunch (the storefront), while a reconnect after a
    # crash or a lost state goes back to the chat it showed.
    resume: str = rx.SessionStorage("", name="chat_crm_app_resume")
    # the app
    opened: bool = False
    screen: str = "storefront"  # storefront | contact | chat | link | unit | notifications
    intro: client_app.ChatIntro | None = None
    projects: list[str] = []
    panel: bot.BotPanel = bot.NO_PANEL
    unit_cards: list[bot.UnitCard] = []
    unit_card: bot.UnitCard | None = None
    link: deeplinks.LinkScreen | None = None
    calc_price: str = "8000000"
    calc_down: str = "1600000"
    calc_years: str = "20"
    calc_rate: str = "6"
    calc_result: str = ""
    calc_error: str = ""

    def _app_token(self) -> str:
        # An HttpOnly cookie (set by /auth/session), read from the websocket's handshake:
        # never a state var, so never in a delta; the file route reads it too.
        return handshake_token(self, CLIENT_COOKIE)

    def _client_id(self) -> int:
        client_id = auth.resolve_client(self._app_token())
        if client_id is None:
            raise ServiceError("Откройте приложение заново")
        return client_id

    @rx.var
    def unsent(self) -> list[UnsentMessage]:
        try:
            return [UnsentMessage(**item) for item in json.loads(self.unsent_json or "[]")]
        except (ValueError, TypeError):
            return []

    def _set_unsent(self, items: list[UnsentMessage]) -> None:
        self.unsent_json = json.dumps([asdict(i) for i in items], ensure_ascii=False)

    # ---- the conversation hooks -------------------------------------------------------------
    def _load_messages(
        self, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
    ) -> list[messages.MessageView]:
        return messages.messages_for_client(
            client_id=self._client_id(), after_id=after_id, before_id=before_id, limit=limit
        )

    def _viewer(self) -> messages.Viewer:
        return messages.Viewer()

    def _shown_chat(self) -> int:
        return self._chat_id if self.opened else 0

    def _mark_read(self) -> None:
        if self.screen == "chat":
            messages.mark_read_by_client(client_id=self._client_id())

    def _typing_name(self) -> str:
        self._client_id()  # the app session still holds
        return t("typing.client")

    async def _on_new_messages(self, views: list[messages.MessageView]) -> None:
        await self._alert_messages(views)  # the counters and the banner, outside the chat (N3, N4)

    async def apply_live(self, event: ChatEvent, batch: LiveBatch) -> int:
        shown = await super().apply_live(event, batch)
        if self.boot and event.chat_id == self._shown_chat():
            await self._alert_event(event)  # a read elsewhere, a reminder (N4, N5)
        return shown

    async def _on_chat_changed(self) -> None:
        if self.screen == "chat":  # e.g. the bot closed the dialog for inactivity
            self.panel = await self._off_loop(lambda: bot.bot_panel(client_id=self._client_id()))

    def _stage_file(self, filename: str, stream: BinaryIO) -> attachments.StagedFile:
        if self.offline:
            raise ServiceError(t("error.offline"))
        messages.check_client_may_send()  # S1, before the file is taken
        return attachments.stage_client_file(client_id=self._client_id(), filename=filename, stream=stream)

    def _edit(self, message_id: int, text: str) -> None:
        messages.edit_client_message(client_id=self._client_id(), message_id=message_id, text=text)

    def _delete(self, message_id: int) -> None:
        messages.delete_client_message(client_id=self._client_id(), message_id=message_id)

    # ---- the frame ----------------------------------------------------------------------------
    @rx.event
    async def on_load(self) -> None:
        self.demo_clients, self.projects = await self._off_loop(
            lambda: (client_app.demo_clients(), client_app.project_names())
        )
        self.opened = await self._off_loop(auth.resolve_client, self._app_token()) is not None
        # A reload is an app relaunch: it starts on the storefront. A reconnect (the server
        # restarted, the state was lost) goes back to the chat (``resume``).
        self.screen, self.link = "storefront", None
        self._unwatch()
        self.boot = self.boot or new_draft_id()
        if self.opened and self.resume == "chat":
            await self._open_chat(0)
        elif self.opened:
            await self._refresh_intro()

    def _read_intro(self) -> tuple[client_app.ChatIntro, tuple[int, int], list[bot.UnitCard], int | None]:
        client_id = self._client_id()
        return (
            client_app.chat_intro(client_id=client_id),
            self._read_counts(),
            bot.unit_cards(client_id=client_id),
            messages.client_chat_id(client_id=client_id),
        )

    async def _refresh_intro(self) -> None:
        self.intro, (self.unread, self.unseen), self.unit_cards, chat_id = await self._off_loop(
            self._read_intro
        )
        self._follow(chat_id)

    def _follow(self, chat_id: int | None) -> None:
        """Take the chat's live events, in the chat and outside it (the unread badge)."""
        if chat_id:
            self._chat_id = chat_id
            self._watch(chat_id)

    @rx.event
    def set_picked(self, value: str) -> None:
        self.picked = value

    @rx.event
    def set_channel(self, value: str) -> None:
        self.channel = value if value in {c.value for c in Channel} else Channel.ios.value

    @rx.event
    def set_offline(self, value: bool) -> None:
        self.offline = bool(value)

    @rx.event
    async def open_app(self):  # type: ignore[no-untyped-def]
        picked = self.picked
        client_id = int(picked) if picked.isascii() and picked.isdigit() and len(picked) < 19 else None
        try:
            ticket = await self._off_loop(auth.client_app_ticket, client_id, Channel(self.channel))
        except ServiceError as err:
            self.error = err.message
            return None
        self._unwatch()
        self._chat_id, self._last_id = 0, 0
        self.opened, self.screen, self.messages, self.fresh, self.error = True, "storefront", [], [], ""
        self.draft, self.staged, self.editing_id = "", None, 0
        self._set_unsent([])  # another person's outbox is not this one's
        # The page reloads through the route that sets the cookie; on_load then shows the app.
        return open_session(ticket, "/app")

    @rx.event
    async def show(self, screen: str) -> None:
        await self._show_screen(screen)

    async def _show_screen(self, screen: str) -> None:
        self.screen = screen if screen in {"storefront", "contact"} else "storefront"
        self.unit_card, self.resume, self.back_to = None, "", "storefront"
        if self.opened:
            await self._refresh_intro()

    @rx.event
    def open_unit_card(self, unit_id: int) -> None:
        """A booking, deal or acceptance detail card (X1, B10)."""
        self.unit_card = next((c for c in self.unit_cards if c.id == unit_id), None)
        self.screen = "unit" if self.unit_card else "storefront"

    def _enter_chat(self, unit_id: int) -> tuple[bot.BotPanel, list[messages.MessageView], int | None, int]:
        client_id = self._client_id()
        bot.enter_chat(client_id=client_id, unit_id=unit_id or None)
        return (
            bot.bot_panel(client_id=client_id),
            self._load_messages(),
            messages.client_chat_id(client_id=client_id),
            client_id,
        )

    @rx.event
    async def open_chat(self, unit_id: int = 0) -> None:
        """«Написать в чат»; from a unit card, ``unit_id`` preselects that unit (B10)."""
        self.back_to = "storefront"
        await self._open_chat(messages.parse_id(unit_id))

    @rx.event
    async def leave_chat(self) -> None:
        """The chat's «Назад»: to «Уведомления» when an entry there opened it (N5)."""
        if self.back_to == "notifications":
            await self._show_notifications()
        else:
            await self._show_screen("storefront")

    async def _open_chat(self, unit_id: int) -> None:
        try:
            await self._refresh_intro()
            if self.intro is not None and not self.intro.chat_visible:
                self.screen, self.resume = "storefront", ""
                return
            self.screen, self.resume = "chat", "chat"
            self.panel, views, chat_id, client_id = await self._off_loop(self._enter_chat, unit_id)
        except ServiceError as err:
            self.error = err.message
            return
        self.unread, self.banner = 0, None  # the browser reports reading once the chat is on screen (M11)
        self._booted(f"app:{client_id}")
        self._show(views)
        self._follow(chat_id)

    # ---- the chat-bot's buttons (B2–B5) ---------------------------------------------------------
    async def _bot_step(self, step: Callable[[int], None]) -> None:
        def run() -> tuple[bot.BotPanel, int | None]:
            client_id = self._client_id()
            step(client_id)
            return bot.bot_panel(client_id=client_id), messages.client_chat_id(client_id=client_id)

        try:
            self.panel, chat_id = await self._off_loop(run)
        except ServiceError as err:
            self.error = err.message
            return
        self.error = ""
        self._follow(chat_id)
        await self._catch_up()

    @rx.event
    async def pick_unit(self, unit_id: int) -> None:
        await self._bot_step(lambda client_id: bot.choose_unit(client_id=client_id, unit_id=unit_id))

    @rx.event
    async def pick_other(self, choice: str) -> None:
        await self._bot_step(lambda client_id: bot.choose_other(client_id=client_id, choice=choice))

    @rx.event
    async def pick_topic(self, topic: str) -> None:
        await self._bot_step(lambda client_id: bot.choose_topic(client_id=client_id, topic=topic))

    @rx.event
    async def bot_back(self) -> None:
        await self._bot_step(lambda client_id: bot.back(client_id=client_id))

    # ---- sending, and the outbox of M8 ---------------------------------------------------------
    def _deliver(
        self, client_msg_id: str, text: str, file_id: int
    ) -> tuple[bot.BotPanel, int | None, list[messages.MessageView]]:
        """Send, then read what is new: one trip off the event loop.

        A typed message always leaves the bot's panel empty: while the bot asks it means
        «Другой вопрос» (B7), and a closed dialog reopens without the bot (B8).
        """
        if self.offline:
            raise ConnectionError  # the simulated network drops the request
        client_id = self._client_id()
        messages.send_client_message(
            client_id=client_id, text=text, client_msg_id=client_msg_id, attachment_id=file_id or None
        )
        try:
            chat_id = self._chat_id or messages.client_chat_id(client_id=client_id)
            return bot.NO_PANEL, chat_id, self._load_messages(after_id=self._last_id)
        except ServiceError:
            return bot.NO_PANEL, self._chat_id, []  # stored: the live path or the next load shows it

    @rx.event
    async def send(self, form: dict[str, str]) -> None:
        text = text_of(form, self.draft)
        if self.editing_id:
            await self._save_edit(text)
            return
        await self._send(key_of(form), text, self.staged.id if self.staged else 0)

    @rx.event
    async def resend(self, form: dict[str, str]) -> None:
        """chat.js resends a text it sent and never saw confirmed (a crash, a lost state):
        the same key, so a send that did arrive is not stored twice (P18)."""
        await self._send(key_of(form), text_of(form), 0, resent=True)

    async def _rebuild(self) -> None:
        """The composer was on screen: back to the chat, from the cookie and the database."""
        self.opened = await self._off_loop(auth.resolve_client, self._app_token()) is not None
        self.boot = new_draft_id()
        if self.opened:
            await self._open_chat(0)

    async def _send(self, key: str, text: str, file_id: int, resent: bool = False) -> None:
        await self._ensure_built()
        try:
            messages.check_text(text, may_be_empty=bool(file_id))
            self.panel, chat_id, fresh = await self._off_loop(self._deliver, key, text, file_id)
        except ServiceError as err:
            self._refuse(key, err.message)
            return
        except ConnectionError:
            file_name = self.staged.name if self.staged and not resent else ""
            if all(u.id != key for u in self.unsent):
                self._set_unsent([*self.unsent, UnsentMessage(key, text.strip(), file_id, file_name)])
            self._handled(key)  # kept in the app's outbox (M8): chat.js need not resend it
            self.error = ""
            if not resent or self.draft.strip() == text.strip():
                self.draft = ""
            self.staged = None if not resent else self.staged
            return
        self._follow(chat_id)  # free text ends the bot (B7); the panel above says so
        self._after_send(fresh, key, resent_text=text if resent else None)
        if self.intro is not None and self.intro.show_consent:
            await self._refresh_intro()  # the consent notice goes after the first message (S2)

    @rx.event
    async def retry(self, client_msg_id: str) -> None:
        """Resend with the same id: a request that did reach the server is not stored twice."""
        pending = next((u for u in self.unsent if u.id == client_msg_id), None)
        if pending is None:
            return
        try:
            self.panel, chat_id, fresh = await self._off_loop(
                self._deliver, pending.id, pending.text, pending.file_id
            )
        except ServiceError as err:
            self.error = err.message
            return
        except ConnectionError:
            self.error = t("error.offline")
            return
        self._set_unsent([u for u in self.unsent if u.id != client_msg_id])
        self.error = ""
        self._follow(chat_id)
        self._append(fresh)
        await self._refresh_intro()

    @rx.event
    def drop_unsent(self, client_msg_id: str) -> None:
        self._set_unsent([u for u in self.unsent if u.id != client_msg_id])

    # ---- deep-link screens (M5, X1) ----------------------------------------------------------------
    @rx.event
    async def open_link(self, message_id: int) -> None:
        try:
            self.link = await self._off_loop(
                lambda: deeplinks.link_screen(client_id=self._client_id(), message_id=message_id)
            )
        except ServiceError as err:
            self.error = err.message
            return
        self.screen, self.calc_result, self.calc_error = "link", "", ""

    @rx.event
    def back_to_chat(self) -> None:
        self.screen, self.link = "chat", None

    @rx.event
    def calculate(self, form: dict[str, str]) -> None:
        form = form if isinstance(form, dict) else {}
        self.calc_price, self.calc_down = str(form.get("price", ""))[:40], str(form.get("down", ""))[:40]
        self.calc_years, self.calc_rate = str(form.get("years", ""))[:40], str(form.get("rate", ""))[:40]
        try:
            payment = deeplinks.calculate(
                price=self.calc_price,
                down_payment=self.calc_down,
                years=self.calc_years,
                rate_percent=self.calc_rate,
            )
        except ServiceError as err:
            self.calc_error, self.calc_result = err.message, ""
            return
        self.calc_error, self.calc_result = "", deeplinks.rub(payment)
