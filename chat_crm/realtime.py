"""The event bus: "chat 17 changed, message 912 added".

In-process by default; Redis pub/sub when REDIS_URL is set, so every worker
hears every event. An event only says what changed: listeners re-read the
database, which stays the source of truth (a screen that missed an event catches
up by the last message id it shows).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import enum
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from chat_crm.config import get_settings

log = logging.getLogger(__name__)

CHANNEL = "chat_crm.events"

Subscribed = Callable[[], Awaitable[None]]


class EventTopic(enum.StrEnum):
    message = "chat.message"  # a message was added
    message_changed = "chat.message_changed"  # edited or deleted
    read = "chat.read"  # ``side`` read everything the other side wrote
    changed = "chat.changed"  # the chat's own fields: responsible, dialog state…
    typing = "chat.typing"  # ``side`` is typing; ``name`` is who, as the other side sees it
    staff_notification = "staff.notification"  # a new entry in ``employee_id``'s «Уведомления»
    client_notification = "client.notification"  # a new entry in the chat's client's «Уведомления»
    resync = "bus.resync"  # the bus came back after a gap: every screen catches up


# What the mobile API's stream replays from the database (db._journal writes these).
JOURNALED = frozenset({EventTopic.message, EventTopic.message_changed, EventTopic.read})


@dataclasses.dataclass(frozen=True)
class ChatEvent:
    """What changed, never the changed data itself: listeners read the database."""

    topic: EventTopic
    chat_id: int = 0
    message_id: int = 0
    side: str = ""  # "client" or "employee"
    name: str = ""
    employee_id: int = 0
    # The screen that caused the change: it shows the result already and is skipped.
    origin: str = ""

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in dataclasses.asdict(self).items() if v})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ChatEvent:
        data: dict[str, Any] = json.loads(raw)
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields} | {"topic": EventTopic(data["topic"])})


class InProcessBus:
    """Fan-out to asyncio queues of this process."""

    def __init__(self) -> None:
        self._queues: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[ChatEvent]]] = set()
        self._lock = threading.Lock()

    def publish(self, event: ChatEvent) -> None:
        with self._lock:
            targets = list(self._queues)
        for loop, q in targets:
            try:
                loop.call_soon_threadsafe(q.put_nowait, event)
            except RuntimeError:  # the loop is closed: that listener is gone
                with self._lock:
                    self._queues.discard((loop, q))

    async def listen(self, on_subscribed: Subscribed | None = None) -> AsyncIterator[ChatEvent]:
        q: asyncio.Queue[ChatEvent] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), q)
        with self._lock:
            self._queues.add(entry)
        if on_subscribed is not None:
            await on_subscribed()
        try:
            while True:
                yield await q.get()
        finally:
            with self._lock:
                self._queues.discard(entry)


class RedisBus:
    """Redis pub/sub: every worker's listener hears every publish.

    ``publish`` only queues: one thread per process sends in order, so neither
    the event loop nor a request ever waits on Redis.
    """

    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._sync = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._outbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_forever, name="event-bus-publisher", daemon=True)
        self._sender.start()

    def publish(self, event: ChatEvent) -> None:
        self._outbox.put(event.to_json())

    def _send_forever(self) -> None:
        while True:
            raw = self._outbox.get()
            try:
                self._sync.publish(CHANNEL, raw)
            except Exception:  # the database already holds the change; screens catch up
                log.warning("event bus: publish failed, screens will catch up")

    async def listen(self, on_subscribed: Subscribed | None = None) -> AsyncIterator[ChatEvent]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            async for raw in pubsub.listen():
                kind = raw.get("type")
                if kind == "message" and raw["data"]:
                    yield ChatEvent.from_json(raw["data"])
                elif kind == "subscribe" and on_subscribed is not None:
                    # Also after redis-py reconnected by itself: what was published
                    # meanwhile is lost, and the listener must know.
                    await on_subscribed()
        finally:
            await pubsub.aclose()
            await client.aclose()


_bus: InProcessBus | RedisBus | None = None
_bus_lock = threading.Lock()


def get_bus() -> InProcessBus | RedisBus:
    global _bus
    with _bus_lock:
        if _bus is None:
            url = get_settings().redis_url
            _bus = RedisBus(url) if url else InProcessBus()
        return _bus


def reset_bus() -> None:
    """Forget the bus (tests switch between backends)."""
    global _bus
    with _bus_lock:
        _bus = None


# The screen (Reflex client token) whose handler is running: its events carry it as
# ``origin``, so the listener does not send that screen what it already shows.
current_origin: contextvars.ContextVar[str] = contextvars.ContextVar("current_origin", default="")


def publish(event: ChatEvent) -> None:
    if not event.origin and (origin := current_origin.get()):
        event = dataclasses.replace(event, origin=origin)
    get_bus().publish(event)


def listen(on_subscribed: Subscribed | None = None) -> AsyncIterator[ChatEvent]:
    """Every event from now on. ``on_subscribed`` runs each time the subscription (re)starts:
    from then on nothing published is missed, but what came before may have been."""
    return get_bus().listen(on_subscribed)
