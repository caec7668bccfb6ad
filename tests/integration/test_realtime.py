"""The event bus, in-process and on a real redis-server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat_crm import config, realtime


def _run(coro):  # type: ignore[no-untyped-def]
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


@pytest.mark.integration
def test_a_redis_restart_is_noticed_and_the_bus_delivers_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After redis-server comes back the listener hears of it (to resync screens) and events flow."""
    from tests.servers import restartable_redis_server

    with restartable_redis_server(tmp_path_factory.mktemp("redis-restart")) as server:
        monkeypatch.setenv("REDIS_URL", server.url)
        config.reload_settings()
        realtime.reset_bus()

        async def scenario() -> tuple[int, realtime.ChatEvent]:
            subscriptions = 0
            got: asyncio.Queue[realtime.ChatEvent] = asyncio.Queue()

            async def subscribed() -> None:
                nonlocal subscriptions
                subscriptions += 1

            async def listen() -> None:
                while True:  # as live.run_listener does: resubscribe after a failure
                    try:
                        async for event in realtime.listen(on_subscribed=subscribed):
                            await got.put(event)
                    except Exception:
                        await asyncio.sleep(0.2)

            task = asyncio.create_task(listen())
            await asyncio.sleep(0.5)
            await asyncio.to_thread(server.restart, 1.0)
            event = realtime.ChatEvent(realtime.EventTopic.message, chat_id=3, message_id=4)
            deadline = asyncio.get_running_loop().time() + 20
            while asyncio.get_running_loop().time() < deadline and got.empty():
                realtime.publish(event)  # the first publishes may meet the old connection
                await asyncio.sleep(0.5)
            task.cancel()
            return subscriptions, await asyncio.wait_for(got.get(), 1)

        try:
            subscriptions, event = _run(scenario())
        finally:
            monkeypatch.delenv("REDIS_URL")
            config.reload_settings()
            realtime.reset_bus()
    assert subscriptions >= 2
    assert event.chat_id == 3
