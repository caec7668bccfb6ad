"""The live path: one read per event whatever the number of screens, the registry, the order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from chat_crm import db, live, realtime
from chat_crm.models import Message, utcnow
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import messages
from chat_crm.services.messages import LiveBatch, MessageView, Viewer


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block (Zulip's queries_captured)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = db.get_engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


class FakeScreen:
    """A screen as ``ConversationMixin.apply_live`` treats a batch: its own view, in memory."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.shown: list[MessageView] = []
        self.last_id = 0

    async def apply_live(self, event: ChatEvent, batch: LiveBatch) -> int:
        for facts in batch.facts:
            if facts.id > self.last_id:
                self.shown.append(messages.view_for(facts, self.viewer, utcnow()))
                self.last_id = facts.id
        return self.last_id


def _run(coro):  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may hold the main thread's loop
        return pool.submit(asyncio.run, coro).result()


def _open_screens(count: int, chat_id: int, viewer: Viewer) -> dict[str, FakeScreen]:
    screens = {}
    for i in range(count):
        token = f"tab-{count}-{i}"
        screens[token] = FakeScreen(viewer)
        live.registry.watch(token, FakeScreen, chat_id)  # type: ignore[arg-type]
    return screens


def _deliver_to(screens: dict[str, FakeScreen]) -> live.Deliver:
    async def deliver(key: live.ScreenKey, event: ChatEvent, batch: LiveBatch) -> int:
        return await screens[key.token].apply_live(event, batch)

    return deliver


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "registry", live.ScreenRegistry())


def _send_and_deliver(world, published: list[dict], screens: int) -> tuple[int, int, dict[str, FakeScreen]]:  # type: ignore[no-untyped-def]
    client_id = world["client"].id
    messages.send_client_message(client_id=client_id, text="Первое", client_msg_id=f"first-{screens:04d}")
    chat_id = messages.client_chat_id(client_id=client_id) or 0
    opened = _open_screens(screens, chat_id, Viewer(world["manager"].id))
    published.clear()
    with statements() as sent:
        messages.send_client_message(
            client_id=client_id, text="Второе", client_msg_id=f"second-{screens:04d}"
        )
    event = ChatEvent(**{**published[-1], "topic": EventTopic(published[-1]["topic"])})
    with statements() as delivered:
        reached = _run(live.dispatch(event, _deliver_to(opened)))
    assert reached == screens
    return len(sent), len(delivered), opened


@pytest.mark.feature("M1")
def test_one_message_to_k_screens_runs_the_same_statements_whatever_k(
    session: Session, world, published: list[dict]
) -> None:
    sent_1, delivered_1, _ = _send_and_deliver(world, published, screens=1)
    session.exec(sa.delete(Message))  # type: ignore[call-overload]
    session.commit()
    sent_25, delivered_25, opened = _send_and_deliver(world, published, screens=25)
    # Pinned: a change here is a change to the hot path, to be looked at and measured.
    assert delivered_1 == delivered_25 == 3  # the chat, the new messages, the client's name
    assert sent_25 <= sent_1 + 1
    assert all(screen.shown[-1].text == "Второе" for screen in opened.values())
    assert all(not screen.shown[-1].is_mine for screen in opened.values())


def test_the_sending_tab_and_screens_that_show_the_message_already_are_skipped(
    world, published: list[dict]
) -> None:
    client_id = world["client"].id
    messages.send_client_message(client_id=client_id, text="Первое", client_msg_id="first-0001")
    chat_id = messages.client_chat_id(client_id=client_id) or 0
    opened = _open_screens(3, chat_id, Viewer(world["manager"].id))
    message_id = messages.send_client_message(client_id=client_id, text="Второе", client_msg_id="second-01")
    live.registry.seen(live.ScreenKey("tab-3-1", FakeScreen), chat_id, message_id)  # type: ignore[arg-type]
    event = ChatEvent(EventTopic.message, chat_id=chat_id, message_id=message_id, origin="tab-3-0")
    assert _run(live.dispatch(event, _deliver_to(opened))) == 1
    assert [s.last_id for s in opened.values()] == [0, 0, message_id]


def test_a_screen_that_missed_an_event_catches_up_in_order_exactly_once(world) -> None:
    client_id = world["client"].id
    ids = [
        messages.send_client_message(client_id=client_id, text=f"№{n}", client_msg_id=f"gap-{n:05d}")
        for n in range(4)
    ]
    chat_id = messages.client_chat_id(client_id=client_id) or 0
    opened = _open_screens(1, chat_id, Viewer(world["manager"].id))
    live.registry.seen(live.ScreenKey("tab-1-0", FakeScreen), chat_id, ids[0])  # type: ignore[arg-type]
    screen = opened["tab-1-0"]
    screen.last_id = ids[0]
    # Events for ids[1] and ids[2] were lost; the one for ids[3] brings all three.
    _run(
        live.dispatch(ChatEvent(EventTopic.message, chat_id=chat_id, message_id=ids[3]), _deliver_to(opened))
    )
    assert [v.text for v in screen.shown] == ["№1", "№2", "№3"]
    _run(
        live.dispatch(ChatEvent(EventTopic.message, chat_id=chat_id, message_id=ids[3]), _deliver_to(opened))
    )
    assert [v.text for v in screen.shown] == ["№1", "№2", "№3"]


def test_the_registry_keeps_one_entry_per_tab_and_screen_and_drops_a_closed_tab() -> None:
    registry = live.ScreenRegistry()

    class CardScreen: ...

    class AppScreen: ...

    registry.watch("tab", CardScreen, 17)  # type: ignore[arg-type]
    registry.watch("tab", AppScreen, 17)  # type: ignore[arg-type]
    registry.unwatch("tab", AppScreen)  # type: ignore[arg-type]
    assert list(registry.screens_of(17)) == [live.ScreenKey("tab", CardScreen)]  # type: ignore[arg-type]
    registry.watch("tab", CardScreen, 18)  # type: ignore[arg-type]
    assert registry.screens_of(17) == {} and len(registry) == 1
    registry.drop_tab("tab")
    assert len(registry) == 0 and registry.chats() == []


def test_events_of_one_chat_apply_in_order_while_other_chats_go_on() -> None:
    seen: list[tuple[int, int]] = []

    async def scenario() -> None:
        async def deliver(key, event, batch):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.05 if event.message_id == 1 else 0)
            seen.append((event.chat_id, event.message_id))
            return event.message_id

        live.registry.watch("a", FakeScreen, 1)  # type: ignore[arg-type]
        live.registry.watch("b", FakeScreen, 2)  # type: ignore[arg-type]
        order = live.ChatOrder(deliver)
        for chat_id, message_id in [(1, 1), (1, 2), (2, 3)]:
            order.schedule(ChatEvent(EventTopic.read, chat_id=chat_id, message_id=message_id))
        await asyncio.sleep(0.2)

    _run(scenario())
    assert seen.index((1, 1)) < seen.index((1, 2))
    assert seen[0] == (2, 3)  # chat 2 did not wait for chat 1's slow screen


def test_an_event_survives_the_json_of_redis() -> None:
    event = ChatEvent(EventTopic.typing, chat_id=5, side="client", name="Клиент печатает…", origin="t")
    assert ChatEvent.from_json(event.to_json()) == event
    assert realtime.ChatEvent.from_json('{"topic": "chat.read", "chat_id": 1, "extra": 2}').chat_id == 1


def test_the_senders_own_trip_is_pinned(session: Session, world) -> None:
    """Send as an employee and read back what is new: the statements of the sender's own event."""
    client_id, manager_id = world["client"].id, world["manager"].id
    messages.send_client_message(client_id=client_id, text="Вопрос", client_msg_id="pin-00001")
    chat_id = messages.client_chat_id(client_id=client_id) or 0
    last = messages.messages_for_employee(employee_id=manager_id, chat_id=chat_id)[-1].id
    with statements() as sent:
        messages.send_employee_message(
            employee_id=manager_id, chat_id=chat_id, text="Ответ", client_msg_id="pin-00002"
        )
    with statements() as read:
        fresh = messages.messages_for_employee(employee_id=manager_id, chat_id=chat_id, after_id=last)
    assert [v.text for v in fresh] == ["Ответ"]
    # employee, role (twice: each permission check reads it), chat, resend check, the rate
    # limit's count (issue 9: the N-th newest of the author's messages), bot settings, the
    # chat's update, the insert, the mobile API's journal line (P15, api_event), and the client's
    # alerts (issue 11): the phone's push if it subscribed, the 24-hour reminder if none runs
    # (each one INSERT … SELECT … WHERE, deciding and writing at once)
    assert len(sent) == 12
    # employee, role, chat, the new messages, their author
    assert len(read) == 5
