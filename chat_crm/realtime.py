"""The event bus: "chat 17 changed, message 912 added".

In-process by default; Redis pub/sub when REDIS_URL is set, so every worker
hears every event. An event only says what changed: listeners re-read the
database, which stays the source of truth (a dropped event is caught up on the
next read by last seen id).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from chat_crm.config import get_settings

log = logging.getLogger(__name__)

CHANNEL = "chat_crm.events"

Event = dict[str, Any]


class InProcessBus:
    """Fan-out to asyncio queues of this process."""

    def __init__(self) -> None:
        self._queues: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]] = set()
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = list(self._queues)
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the loop is closed: that listener is gone
                with self._lock:
                    self._queues.discard((loop, queue))

    async def listen(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._queues.add(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                self._queues.discard(entry)


class RedisBus:
    """Redis pub/sub: every worker's listener hears every publish."""

    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._sync = redis.Redis.from_url(url)

    def publish(self, event: Event) -> None:
        try:
            self._sync.publish(CHANNEL, json.dumps(event))
        except Exception:  # the database already holds the change; screens catch up
            log.exception("event bus: publish failed")

    async def listen(self) -> AsyncIterator[Event]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub()
        await pubsub.subscribe(CHANNEL)
        try:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])
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


def publish(topic: str, payload: dict[str, Any]) -> None:
    get_bus().publish({"topic": topic, **payload})


def listen() -> AsyncIterator[Event]:
    return get_bus().listen()
