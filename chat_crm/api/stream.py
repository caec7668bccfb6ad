"""``GET /api/v1/chat/events``: Server-Sent Events of the client's chat, resumable (P15).

Each event's id is its ``api_event`` line (written in the same transaction as the change).
The stream reads the journal after the last id it sent, so a reconnect with
``Last-Event-ID`` gets what it missed from the database, exactly once and in order. The bus
that feeds the screens (``realtime``: in-process or Redis) only wakes the streams of a chat:
one listener per process for all of them, and a missed wake-up costs at most the keep-alive
interval, never an event.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from chat_crm import realtime
from chat_crm.api import convert
from chat_crm.realtime import JOURNALED
from chat_crm.services import api_events

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0
SAFETY_EVERY = 4  # keep-alives between two re-reads of a quiet stream's journal (one minute)
BATCH = 200
ANY_CHAT = 0  # streams of clients without a chat yet wait for any chat's event


class Hub:
    """Wakes the streams of a chat when the bus says it changed; one bus listener per loop."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._subscriptions = 0

    def _ensure_listening(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())

    async def _subscribed(self) -> None:
        self._subscriptions += 1
        if self._subscriptions > 1:  # a gap in the bus: everyone re-reads the journal
            self.wake_all()

    async def _listen(self) -> None:
        while True:
            try:
                async for event in realtime.listen(on_subscribed=self._subscribed):
                    if event.topic in JOURNALED and event.chat_id:
                        self.wake(event.chat_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: streams fall back on the keep-alive re-read
                log.warning("api stream: the event bus failed; resubscribing")
                await asyncio.sleep(1)

    def wake(self, chat_id: int) -> None:
        for key in (chat_id, ANY_CHAT):
            for flag in self._waiting.get(key, ()):
                flag.set()

    def wake_all(self) -> None:
        for flags in self._waiting.values():
            for flag in flags:
                flag.set()

    def register(self, chat_id: int, flag: asyncio.Event) -> None:
        self._ensure_listening()
        self._waiting.setdefault(chat_id, set()).add(flag)

    def unregister(self, chat_id: int, flag: asyncio.Event) -> None:
        flags = self._waiting.get(chat_id)
        if flags is not None:
            flags.discard(flag)
            if not flags:
                del self._waiting[chat_id]

    def streams(self) -> int:
        return sum(len(flags) for key, flags in self._waiting.items())


hub = Hub()


def frame(entry: api_events.JournalEntry) -> str:
    if entry.facts is not None:
        data = convert.message(entry.facts).model_dump(mode="json")
    else:
        data = {"side": entry.side, "up_to": entry.message_id}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry.id}\nevent: {entry.topic}\ndata: {body}\n\n"


async def events(client_id: int, after_id: int | None, lifetime: float) -> AsyncIterator[str]:
    """The stream: first what was missed after ``after_id`` (None: only what comes next)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    flag = asyncio.Event()
    key = ANY_CHAT
    hub.register(key, flag)
    yield "retry: 2000\n\n"
    read, quiet = True, 0
    try:
        while loop.time() < deadline:
            if read:
                flag.clear()  # before reading: a change committed after the read wakes us again
                page = await asyncio.to_thread(
                    api_events.journal_for_client, client_id=client_id, after_id=after_id, limit=BATCH
                )
                if page.chat_id is not None and key != page.chat_id:
                    hub.unregister(key, flag)
                    key = page.chat_id
                    hub.register(key, flag)
                if after_id is None:  # a fresh stream starts from now (from the start of a chat to come)
                    after_id = page.last_id
                for entry in page.entries:
                    yield frame(entry)
                    after_id = entry.id
                if len(page.entries) == BATCH:
                    continue
            try:
                await asyncio.wait_for(flag.wait(), timeout=min(KEEPALIVE_SECONDS, deadline - loop.time()))
                read, quiet = True, 0
            except TimeoutError:
                yield ": keep-alive\n\n"
                # A quiet stream re-reads only now and then: the bus wakes it, and a gap in the
                # bus wakes every stream (Hub._subscribed); this is the net under both.
                quiet += 1
                read = quiet % SAFETY_EVERY == 0
    finally:
        hub.unregister(key, flag)
