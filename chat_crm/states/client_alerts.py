"""The phone's counters (N4), push banner (N3) and «Уведомления» screen (N5).

A mixin of ``ClientAppState``: the app's one state per tab takes its chat's live events on
every screen (``live.registry``), so the counters grow while the client is elsewhere, and a
read anywhere (this tab's chat, another device) brings them back to what the database says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import client_alerts
from chat_crm.services.client_alerts import Banner, NotificationView
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages import MessageView

T = TypeVar("T")

# Screens the chat's «Назад» may return to; the storefront is the default.
BACK_SCREENS = frozenset({"storefront", "notifications"})


class ClientAlertsMixin(rx.State, mixin=True):
    unread: int = 0  # the staff's messages the client has not read (N4)
    unseen: int = 0  # «Уведомления» entries not looked at yet (N5)
    notes: list[NotificationView] = []
    banner: Banner | None = None  # the in-app push (N3)
    back_to: str = "storefront"  # where the chat's «Назад» leads

    # ---- hooks of the app's state (which also has ``screen`` and ``error``) ----------------
    def _client_id(self) -> int:
        raise NotImplementedError

    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        raise NotImplementedError

    async def _open_chat(self, unit_id: int) -> None:
        raise NotImplementedError

    # ---- counting ---------------------------------------------------------------------------
    def _read_counts(self) -> tuple[int, int]:
        client_id = self._client_id()
        return (
            client_alerts.unread_count(client_id=client_id),
            client_alerts.unseen_notifications(client_id=client_id),
        )

    async def _recount(self) -> None:
        try:
            self.unread, self.unseen = await self._off_loop(self._read_counts)
        except ServiceError:
            return  # the app session ended: the next event says so

    async def _alert_messages(self, views: list[MessageView]) -> None:
        """New messages came while the app is open: outside the chat they count and show."""
        if self.screen == "chat":
            return  # on screen: the browser reports them read
        incoming = [v for v in views if not v.is_mine]
        if incoming:
            self.banner = client_alerts.message_banner(incoming[-1])
            await self._recount()

    async def _alert_event(self, event: ChatEvent) -> None:
        """A read elsewhere, or a reminder that came due (N5)."""
        if event.topic == EventTopic.read and event.side == "client" and self.screen != "chat":
            await self._recount()
        elif event.topic == EventTopic.client_notification:
            await self._recount()
            if self.screen == "notifications":
                await self._load_notes()
            elif self.screen != "chat":
                banner = await self._off_loop(
                    lambda: client_alerts.newest_notification_banner(client_id=self._client_id())
                )
                self.banner = banner or self.banner

    # ---- the banner -------------------------------------------------------------------------
    @rx.event
    def close_banner(self) -> None:
        self.banner = None

    @rx.event
    async def open_banner(self) -> None:
        """Tapping the push opens the chat (N3); a reminder's push, like its entry (N5)."""
        from_note = self.banner is not None and self.banner.key.startswith("n")
        self.banner = None
        self.back_to = "notifications" if from_note else "storefront"
        await self._open_chat(0)

    # ---- «Уведомления» ---------------------------------------------------------------------
    async def _load_notes(self) -> None:
        def read() -> list[NotificationView]:
            client_id = self._client_id()
            notes = client_alerts.notifications(client_id=client_id)
            client_alerts.mark_notifications_seen(client_id=client_id)
            return notes

        self.notes = await self._off_loop(read)
        self.unseen = 0

    @rx.event
    async def show_notifications(self) -> None:
        await self._show_notifications()

    async def _show_notifications(self) -> None:
        self.screen, self.banner, self.back_to = "notifications", None, "storefront"
        try:
            await self._load_notes()
        except ServiceError as err:
            self.screen, self.notes = "storefront", []
            self.error = err.message

    @rx.event
    async def open_notification(self, note_id: int) -> None:
        """An entry opens the chat; the chat's «Назад» comes back here (N5)."""
        del note_id  # every entry is about the one chat
        self.back_to = "notifications"
        await self._open_chat(0)
