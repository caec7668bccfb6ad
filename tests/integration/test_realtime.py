"""The event bus, in-process and on a real redis-server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat_crm import config, realtime


def _run(coro) -> realtime.ChatEvent:  # type: ignore[no-untyped-def]
    # Playwright's sync API keeps a loop running in the main thread: use our own thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _first_event(publish_after: float = 0.2) -> realtime.ChatEvent:
    async def listen() -> realtime.ChatEvent:
        async for event in realtime.listen():
            return event
        raise AssertionError("the bus stopped")

    task = asyncio.create_task(listen())
    await asyncio.sleep(publish_after)
    realtime.publish(realtime.ChatEvent(realtime.EventTopic.message, chat_id=17, message_id=912))
    return await asyncio.wait_for(task, 5)


def test_in_process_bus_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    config.reload_settings()
    realtime.reset_bus()
    event = _run(_first_event())
    assert event == realtime.ChatEvent(realtime.EventTopic.message, chat_id=17, message_id=912)


@pytest.mark.integration
def test_redis_bus_delivers(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    config.reload_settings()
    realtime.reset_bus()
    try:
        assert isinstance(realtime.get_bus(), realtime.RedisBus)
        event = _run(_first_event(publish_after=0.5))
        assert event == realtime.ChatEvent(realtime.EventTopic.message, chat_id=17, message_id=912)
    finally:
        monkeypatch.delenv("REDIS_URL")
        config.reload_settings()
        realtime.reset_bus()
