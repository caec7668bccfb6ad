"""The live list (P8): one read per event for every list screen of a worker, whatever their number."""

from __future__ import annotations

import pytest

from chat_crm import live
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import list_query as lq
from chat_crm.services import live_rows, messages
from chat_crm.services.inbox import ChatRow, ListUpdate
from tests.live.test_live import _run, statements


class FakeList:
    """A list screen as ``ChatListState.apply_list`` treats an update: its own view, in memory."""

    def __init__(self, view: lq.ListView, employee_id: int) -> None:
        self.view, self.employee_id = view, employee_id
        self.rows: list[ChatRow] = []
        self.new_count = 0

    async def apply_list(self, event: ChatEvent, update: ListUpdate) -> None:
        assert update.row is not None
        self.rows = live_rows.place(self.view, self.rows, update.row, self.employee_id, is_new=True).rows
        self.new_count = update.new_count


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "registry", live.ScreenRegistry())


def _open(count: int, views: list[lq.ListView], employee_id: int) -> dict[str, FakeList]:
    screens = {}
    for i in range(count):
        token = f"list-{count}-{i}"
        screens[token] = FakeList(views[i % len(views)], employee_id)
        live.registry.watch_list(token, FakeList)  # type: ignore[arg-type]
    return screens


def _deliver(screens: dict[str, FakeList]) -> live.DeliverList:
    async def deliver(key: live.ScreenKey, event: ChatEvent, update: ListUpdate) -> None:
        await screens[key.token].apply_list(event, update)

    return deliver


def _event_of(published: list[dict], topic: EventTopic = EventTopic.message) -> ChatEvent:
    """The newest published event of ``topic`` (a send also announces alerts after it)."""
    event = next(e for e in reversed(published) if e["topic"] == topic.value)
    return ChatEvent(**{**event, "topic": topic})


@pytest.mark.feature("P8")
def test_a_message_reaches_1_or_40_list_screens_with_the_same_two_statements(
    world, published: list[dict]
) -> None:  # type: ignore[no-untyped-def]
    manager_id = world["manager"].id
    views = [lq.ListView(), lq.ListView(tab="new"), lq.ListView(scope="mine"), lq.ListView(topic="deal")]
    counts = []
    for screens in (1, 40):
        live.registry = live.ScreenRegistry()
        opened = _open(screens, views, manager_id)
        published.clear()
        messages.send_client_message(
            client_id=world["client"].id, text=f"Вопрос {screens}", client_msg_id=f"list-{screens:05d}"
        )
        with statements() as delivered:
            assert _run(live.dispatch_lists(_event_of(published), _deliver(opened))) == screens
        counts.append(len(delivered))
        everything = next(s for s in opened.values() if s.view == lq.ListView())
        assert everything.rows[0].preview == f"Вопрос {screens}" and everything.rows[0].unread >= 1
        assert everything.new_count == 1
        deals = [s for s in opened.values() if s.view.topic == "deal"]
        assert all(s.rows == [] for s in deals)  # the chat has no topic: not on those screens
    # Pinned: the chat's row and the «Новые» count, once, for every list screen of the worker.
    assert counts == [2, 2]


def test_typing_reaches_no_list_and_a_closed_tab_drops_its_list() -> None:
    screens = _open(2, [lq.ListView()], 1)
    event = ChatEvent(EventTopic.typing, chat_id=1, side="client")
    assert _run(live.dispatch_lists(event, _deliver(screens))) == 0
    live.registry.drop_tab("list-2-0")
    assert [k.token for k in live.registry.lists()] == ["list-2-1"]
    live.registry.unwatch_list("list-2-1", FakeList)  # type: ignore[arg-type]
    assert live.registry.lists() == []
