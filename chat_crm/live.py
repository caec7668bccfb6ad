"""Delivers bus events to the screens open in this worker.

A screen that shows a chat registers here. For each event the listener reads
the database once for all the screens of that chat (``messages.live_batch``)
and hands the same batch to each, which builds its own view in memory: the cost
of a message does not grow with the number of screens showing it. The screen
that caused an event already shows the result and is skipped.

Chat-list screens register as lists (P8): for a message, read or change of any chat the
listener reads that chat's one row once for all of them (``inbox.list_update``), and each
places it in memory; a list is never re-queried for a message.

Each worker keeps its own registry: a browser's websocket lives on one worker,
and with Redis every worker hears every event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import reflex as rx

from chat_crm import realtime
from chat_crm.config import get_settings
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import inbox, messages
from chat_crm.services.inbox import ListUpdate
from chat_crm.services.messages import LiveBatch

log = logging.getLogger(__name__)


@runtime_checkable
class LiveScreen(Protocol):
    """A Reflex state that shows one chat and takes its live events."""

    async def apply_live(self, event: ChatEvent, batch: LiveBatch) -> int:
        """Show what ``event`` says; return the newest message id the screen now shows."""
        ...


@runtime_checkable
class LiveList(Protocol):
    """A Reflex state that shows the chat list and places one changed row itself (P8)."""

    async def apply_list(self, event: ChatEvent, update: ListUpdate) -> None: ...


@dataclass(frozen=True)
class ScreenKey:
    token: str  # the browser tab (Reflex client token)
    screen: type[rx.State]


class ScreenRegistry:
    """Which screens of this worker show which chat, and the newest message each shows.

    One entry per (tab, screen class); a tab's entries go when its websocket closes.
    """

    def __init__(self) -> None:
        self._chat_of: dict[ScreenKey, int] = {}
        self._last_id: dict[int, dict[ScreenKey, int]] = {}
        self._of_tab: dict[str, set[ScreenKey]] = {}
        self._lists: set[ScreenKey] = set()  # chat-list screens: every chat's events concern them

    def watch(self, token: str, screen: type[rx.State], chat_id: int, last_id: int = 0) -> None:
        key = ScreenKey(token, screen)
        previous = self._chat_of.get(key)
        if previous is not None and previous != chat_id:
            self._forget(key, previous)
        self._chat_of[key] = chat_id
        self._last_id.setdefault(chat_id, {})[key] = last_id
        self._of_tab.setdefault(token, set()).add(key)

    def seen(self, key: ScreenKey, chat_id: int, last_id: int) -> None:
        screens = self._last_id.get(chat_id)
        if screens is not None and key in screens:
            screens[key] = max(screens[key], last_id)

    def unwatch(self, token: str, screen: type[rx.State]) -> None:
        key = ScreenKey(token, screen)
        chat_id = self._chat_of.pop(key, None)
        if chat_id is not None:
            self._forget(key, chat_id)
        keys = self._of_tab.get(token)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._of_tab[token]

    def drop_tab(self, token: str) -> None:
        for key in list(self._of_tab.get(token, ())):
            self.unwatch(key.token, key.screen)
        self._lists = {key for key in self._lists if key.token != token}

    def watch_list(self, token: str, screen: type[rx.State]) -> None:
        self._lists.add(ScreenKey(token, screen))

    def unwatch_list(self, token: str, screen: type[rx.State]) -> None:
        self._lists.discard(ScreenKey(token, screen))

    def lists(self) -> list[ScreenKey]:
        return list(self._lists)

    def _forget(self, key: ScreenKey, chat_id: int) -> None:
        screens = self._last_id.get(chat_id, {})
        screens.pop(key, None)
        if not screens:
            self._last_id.pop(chat_id, None)

    def screens_of(self, chat_id: int) -> dict[ScreenKey, int]:
        return dict(self._last_id.get(chat_id, {}))

    def chats(self) -> list[int]:
        return list(self._last_id)

    def __len__(self) -> int:
        return len(self._chat_of)


registry = ScreenRegistry()


@runtime_checkable
class LiveInbox(Protocol):
    """A Reflex state that shows the employee's «Уведомления» badge and list (N1, live)."""

    async def apply_inbox(self) -> None: ...


class InboxWatchers:
    """Which tabs of this worker show which employee's «Уведомления» (by employee id).

    Written from page loads (worker threads) and read by the listener: plain dict
    operations, and the listener reads a copy, so no lock is needed under the GIL.
    """

    def __init__(self) -> None:
        self._tabs: dict[str, tuple[int, type[rx.State]]] = {}

    def watch(self, token: str, screen: type[rx.State], employee_id: int) -> None:
        self._tabs[token] = (employee_id, screen)

    def drop_tab(self, token: str) -> None:
        self._tabs.pop(token, None)

    def tabs_of(self, employee_id: int | None = None) -> list[ScreenKey]:
        return [
            ScreenKey(token, screen)
            for token, (owner, screen) in list(self._tabs.items())
            if employee_id is None or owner == employee_id
        ]


inbox_watchers = InboxWatchers()

Deliver = Callable[[ScreenKey, ChatEvent, LiveBatch], Awaitable[int]]
DeliverList = Callable[[ScreenKey, ChatEvent, ListUpdate], Awaitable[None]]

# What moves a row of the list: its messages, their reading, the chat's own fields.
LIST_TOPICS = frozenset({EventTopic.message, EventTopic.message_changed, EventTopic.read, EventTopic.changed})


def read_batch(event: ChatEvent, screens: dict[ScreenKey, int]) -> LiveBatch:
    """The one database read for all ``screens`` of the event's chat."""
    if event.topic == EventTopic.message:
        # From the oldest screen's newest message: a screen that missed an event catches up.
        after = min(screens.values()) if screens else 0
        return messages.live_batch(chat_id=event.chat_id, after_id=max(after, 0))
    if event.topic == EventTopic.message_changed:
        return messages.live_batch(chat_id=event.chat_id, message_ids=(event.message_id,))
    return LiveBatch()


async def dispatch(event: ChatEvent, deliver: Deliver) -> int:
    """Hand ``event`` to every screen of its chat but the one that caused it; returns how many."""
    screens = {k: v for k, v in registry.screens_of(event.chat_id).items() if k.token != event.origin}
    if event.topic == EventTopic.message:
        # Screens already showing the message (its sender, or a catch-up) need nothing.
        screens = {k: v for k, v in screens.items() if v < event.message_id}
    if not screens:
        return 0
    batch = await asyncio.to_thread(read_batch, event, screens)

    async def one(key: ScreenKey) -> None:
        try:
            registry.seen(key, event.chat_id, await deliver(key, event, batch))
        except Exception:  # one broken tab must not stop the others
            log.exception("live: delivery to %s failed", key.token)
            registry.unwatch(key.token, key.screen)

    await asyncio.gather(*(one(key) for key in screens))
    return len(screens)


async def dispatch_lists(event: ChatEvent, deliver: DeliverList) -> int:
    """Hand ``event`` to every chat-list screen of this worker; returns how many.

    One read of the chat's row (and the «Новые» count) for all of them; each screen then
    decides in memory whether the row belongs on its page. The list is never re-queried.
    """
    keys = registry.lists()
    if not keys or event.topic not in LIST_TOPICS:
        return 0
    update = await asyncio.to_thread(inbox.list_update, event.chat_id)

    async def one(key: ScreenKey) -> None:
        try:
            await deliver(key, event, update)
        except Exception:  # one broken tab must not stop the others
            log.exception("live: list delivery to %s failed", key.token)
            registry.unwatch_list(key.token, key.screen)

    await asyncio.gather(*(one(key) for key in keys))
    return len(keys)


async def dispatch_inbox(app: rx.App, employee_id: int | None) -> int:
    """Refresh the «Уведомления» of every tab of ``employee_id`` here (None: of every tab)."""
    keys = inbox_watchers.tabs_of(employee_id)

    async def one(key: ScreenKey) -> None:
        try:
            async with app.modify_state(rx.BaseStateToken(ident=key.token, cls=key.screen)) as root:
                screen = await root.get_state(key.screen)
                assert isinstance(screen, LiveInbox)
                await screen.apply_inbox()
        except Exception:  # one broken tab must not stop the others
            log.exception("live: inbox delivery to %s failed", key.token)
            inbox_watchers.drop_tab(key.token)

    await asyncio.gather(*(one(key) for key in keys))
    return len(keys)


def list_delivery(app: rx.App) -> DeliverList:
    async def deliver(key: ScreenKey, event: ChatEvent, update: ListUpdate) -> None:
        async with app.modify_state(rx.BaseStateToken(ident=key.token, cls=key.screen)) as root:
            screen = await root.get_state(key.screen)
            assert isinstance(screen, LiveList)
            await screen.apply_list(event, update)

    return deliver


def state_delivery(app: rx.App) -> Deliver:
    """Deliver through Reflex: lock the tab's state, apply, and send the delta."""

    async def deliver(key: ScreenKey, event: ChatEvent, batch: LiveBatch) -> int:
        async with app.modify_state(rx.BaseStateToken(ident=key.token, cls=key.screen)) as root:
            screen = await root.get_state(key.screen)
            assert isinstance(screen, LiveScreen)
            return await screen.apply_live(event, batch)

    return deliver


def _drop_closed_state(app: rx.App, token: str) -> None:
    """Free the in-memory state of a tab that did not come back (Redis expires its own keys)."""
    from reflex.istate.manager.memory import StateManagerMemory

    namespace, manager = app.event_namespace, app.state_manager
    if namespace is None or token in namespace.token_to_sid or not isinstance(manager, StateManagerMemory):
        return
    state_lock = manager._states_locks.get(token)
    if state_lock is not None and state_lock.locked():
        return  # an event is still running for it: Reflex's own expiry will take it
    manager._purge_token(rx.BaseStateToken(ident=token, cls=rx.State))


def _forget_closed_tabs(app: rx.App) -> None:
    """Drop a tab's screens when its websocket closes: a closed tab reads nothing (M11)."""
    namespace = app.event_namespace
    if namespace is None or getattr(namespace, "_chat_crm_hooked", False):
        return
    original = namespace.on_disconnect

    def on_disconnect(sid: str):  # type: ignore[no-untyped-def]
        token = namespace.sid_to_token.get(sid)
        if token:
            registry.drop_tab(token)
            inbox_watchers.drop_tab(token)
            keep = get_settings().closed_tab_state_seconds
            asyncio.get_running_loop().call_later(keep, _drop_closed_state, app, token)
        return original(sid)

    namespace.on_disconnect = on_disconnect  # type: ignore[method-assign]
    namespace._chat_crm_hooked = True  # type: ignore[attr-defined]


async def _resync_all(deliver: Deliver, deliver_list: DeliverList | None = None) -> None:
    """After a gap in the bus, every screen catches up from the database by its last id,
    and every list screen reloads its page."""
    for chat_id in registry.chats():
        await dispatch(ChatEvent(EventTopic.resync, chat_id=chat_id), deliver)
    if deliver_list is not None:
        event = ChatEvent(EventTopic.resync)
        await asyncio.gather(*(deliver_list(key, event, ListUpdate()) for key in registry.lists()))


class ChatOrder:
    """Events of one chat are applied in order; different chats do not wait for each other."""

    def __init__(self, deliver: Deliver, deliver_list: DeliverList | None = None) -> None:
        self._deliver = deliver
        self._deliver_list = deliver_list
        self._tails: dict[int, asyncio.Task[None]] = {}

    def schedule(self, event: ChatEvent) -> None:
        previous = self._tails.get(event.chat_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await dispatch(event, self._deliver)
            if self._deliver_list is not None:
                await dispatch_lists(event, self._deliver_list)

        task = asyncio.create_task(run())
        self._tails[event.chat_id] = task
        task.add_done_callback(lambda done: self._done(event.chat_id, done))

    def _done(self, chat_id: int, task: asyncio.Task[None]) -> None:
        if self._tails.get(chat_id) is task:
            del self._tails[chat_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("live: dispatch failed", exc_info=task.exception())


async def run_listener(app: rx.App) -> None:
    """The lifespan task: forever, hand each chat event to the screens showing that chat."""
    deliver = state_delivery(app)
    order = ChatOrder(deliver, list_delivery(app))
    subscriptions = 0
    inbox_tasks: set[asyncio.Task[int]] = set()

    async def subscribed() -> None:
        nonlocal subscriptions
        subscriptions += 1
        if subscriptions > 1:  # events published while the bus was away are lost: read them instead
            await _resync_all(deliver, list_delivery(app))
            await dispatch_inbox(app, None)

    while True:
        try:
            _forget_closed_tabs(app)
            async for event in realtime.listen(on_subscribed=subscribed):
                if event.topic == EventTopic.staff_notification and event.employee_id:
                    inbox_task = asyncio.create_task(dispatch_inbox(app, event.employee_id))
                    inbox_tasks.add(inbox_task)  # a reference, so the task is not collected
                    inbox_task.add_done_callback(inbox_tasks.discard)
                if event.chat_id:
                    order.schedule(event)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis went away: wait, resubscribe; screens catch up by last id
            log.warning("live: the event bus failed; resubscribing")
            await asyncio.sleep(1)
