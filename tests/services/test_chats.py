"""The inbox list's service: filters, views, search, sort, counts, hidden columns (L2–L7),
and the live list's in-memory placing, checked against the SQL (P8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from chat_crm import db
from chat_crm.models import (
    AuthorKind,
    Building,
    Chat,
    Client,
    DialogState,
    Message,
    Project,
    Topic,
    Unit,
    utcnow,
)
from chat_crm.models.realty import Channel
from chat_crm.services import inbox, list_order, live_rows
from chat_crm.services import list_query as lq
from chat_crm.services.errors import Forbidden
from chat_crm.services.timefmt import today as local_today
from tests import factories


@pytest.fixture
def inbox_world(session: Session, world):  # type: ignore[no-untyped-def]
    """Six chats: two projects, topics, channels, states, one visitor, unread and read messages."""
    now = utcnow()
    projects = [Project(name="ЖК «Север»"), Project(name="ЖК «Юг»")]
    session.add_all(projects)
    session.flush()
    buildings = [Building(project_id=p.id or 0, name="Корпус 1") for p in projects]
    session.add_all(buildings)
    session.flush()
    units = [Unit(building_id=b.id or 0, number=str(100 + i)) for i, b in enumerate(buildings)]
    session.add_all(units)
    session.flush()
    names = ["Петрова Анна", "Сидоров Олег", "Орлова Мария", "=1+1", "Белов Иван"]
    clients = [Client(full_name=n) for n in names] + [Client(is_authorized=False)]
    session.add_all(clients)
    session.flush()
    manager = world["manager"]
    specs = [
        dict(topic=Topic.deal, unit_id=units[0].id, responsible_id=manager.id, channel=Channel.ios),
        dict(topic=Topic.acceptance, unit_id=units[1].id, responsible_id=None, channel=Channel.android),
        dict(topic=Topic.deal, unit_id=units[1].id, responsible_id=world["operator"].id, channel=Channel.ios),
        dict(topic=Topic.other, unit_id=None, responsible_id=None, dialog_state=DialogState.closed),
        dict(topic=Topic.booking, unit_id=units[0].id, responsible_id=manager.id, channel=Channel.android),
        dict(topic=None, unit_id=None, responsible_id=None),
    ]
    chats = []
    for i, (client, spec) in enumerate(zip(clients, specs, strict=True)):
        created = now - timedelta(days=10 - i)
        spec = {"dialog_state": DialogState.open, "department_id": world["dept"].id, **spec}
        chat = Chat(number=i + 1, client_id=client.id or 0, created_at=created, updated_at=created, **spec)
        session.add(chat)
        session.flush()
        unread = i in (1, 4)
        session.add(
            Message(
                chat_id=chat.id or 0,
                author_kind=AuthorKind.client,
                text=f"Вопрос {i + 1}",
                created_at=created,
                read_at=None if unread else created,
            )
        )
        chat.last_message_at = created
        chats.append(chat)
    session.commit()
    return {**world, "projects": projects, "buildings": buildings, "chats": chats, "clients": clients}


def _numbers(employee_id: int, **view: object) -> list[int]:
    page = inbox.list_page(employee_id=employee_id, view=lq.ListView(**view))  # type: ignore[arg-type]
    return [row.number for row in page.rows]


@pytest.mark.feature("L3")
def test_each_filter_and_view_narrows_the_list(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    north, south = (p.id for p in inbox_world["projects"])
    assert _numbers(me) == [6, 5, 4, 3, 2, 1]  # newest activity first
    assert _numbers(me, topic="deal") == [3, 1]
    assert _numbers(me, project=north) == [5, 1]
    assert _numbers(me, building=inbox_world["buildings"][1].id) == [3, 2]
    assert _numbers(me, responsible=me) == [5, 1]
    assert _numbers(me, scope="mine") == [5, 1]
    assert _numbers(me, scope="unassigned") == [6, 4, 2]
    assert _numbers(me, channel="ios") == [3, 1]
    assert _numbers(me, state="closed") == [4]
    assert _numbers(me, unread=True) == [5, 2]
    assert _numbers(me, tab="new", topic="deal") == [5, 2]  # «Новые»: no filters (L7)
    assert _numbers(me, department=inbox_world["dept"].id, topic="deal", channel="ios") == [3, 1]
    today = local_today()
    since = (today - timedelta(days=7)).isoformat()
    assert _numbers(me, created_from=since) == [6, 5, 4]
    assert _numbers(me, updated_to=(today - timedelta(days=8)).isoformat()) == [3, 2, 1]
    assert _numbers(me, project=south, search="орлова") == [3]
    assert south != north


@pytest.mark.feature("L2")
def test_search_by_number_by_part_of_a_name_and_a_visitor_as_shown(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    visitor = inbox_world["clients"][-1].id
    assert _numbers(me, search="2") == [2]
    assert _numbers(me, search="ОРЛОВ") == [3]
    assert _numbers(me, search=f"Неавторизованный посетитель #{visitor}") == [6]
    assert _numbers(me, search=f"#{visitor}") == [6]
    assert _numbers(me, search="неавторизованный") == [6]
    assert _numbers(me, search="Неавторизованный посетитель #999") == []
    row = inbox.list_page(employee_id=me, view=lq.ListView(search="6")).rows[0]
    assert row.client_name == f"Неавторизованный посетитель #{visitor}" and row.preview == "Вопрос 6"


@pytest.mark.feature("L3")
@pytest.mark.parametrize("sort", list(lq.SortKey))
def test_every_column_sorts_both_ways_and_pages_do_not_overlap(inbox_world, sort: str) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    down = _numbers(me, sort=sort, desc=True)
    up = _numbers(me, sort=sort, desc=False)
    assert sorted(down) == sorted(up) == [1, 2, 3, 4, 5, 6]
    if sort == "number":
        assert up == [1, 2, 3, 4, 5, 6]
    if sort == "client":
        names = [
            r.client_name
            for r in inbox.list_page(employee_id=me, view=lq.ListView(sort=sort, desc=False)).rows
        ]
        assert names[-3:] == ["Орлова Мария", "Петрова Анна", "Сидоров Олег"]
    if sort == "labels":
        assert set(down[:2]) == {2, 5}


def test_the_url_round_trips_and_rejects_junk() -> None:
    view = lq.ListView(
        topic="deal", project=3, created_from="2026-11-01", scope="mine", sort="number", desc=False
    )
    assert lq.from_params(dict(p.split("=") for p in lq.to_query(view).split("&"))) == view
    junk = lq.from_params(
        {"topic": "<script>", "project": "-1", "page": "0", "sort": "drop", "created_from": "x"}
    )
    assert junk == lq.ListView()
    assert lq.to_query(lq.ListView()) == ""


def test_tab_counts_and_hidden_columns_per_employee(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me, other = inbox_world["manager"].id, inbox_world["operator"].id
    assert inbox.tab_counts(employee_id=me) == inbox.TabCounts(all=6, new=2)
    assert inbox.set_hidden_columns(employee_id=me, columns=["channel", "topic", "bogus"]) == [
        "topic",
        "channel",
    ]
    assert inbox.hidden_columns(employee_id=me) == ["topic", "channel"]
    assert inbox.hidden_columns(employee_id=other) == []


def test_without_the_chat_page_right_the_list_is_refused(session: Session, inbox_world) -> None:  # type: ignore[no-untyped-def]
    nobody = factories.employee(session, "x@demo.ru", role_row=factories.role(session, "Никто", []))
    with pytest.raises(Forbidden):
        inbox.list_page(employee_id=nobody.id or 0, view=lq.ListView())
    with pytest.raises(Forbidden):
        inbox.set_hidden_columns(employee_id=nobody.id or 0, columns=["topic"])


VIEWS = [
    lq.ListView(),
    lq.ListView(tab="new"),
    lq.ListView(topic="deal"),
    lq.ListView(scope="mine"),
    lq.ListView(scope="unassigned", channel="android"),
    lq.ListView(state="closed"),
    lq.ListView(state="open", unread=True),
    lq.ListView(search="ов"),
    lq.ListView(search="#6"),
    lq.ListView(created_from=(local_today() - timedelta(days=6)).isoformat()),
]


@pytest.mark.feature("P8")
@pytest.mark.parametrize("view", VIEWS, ids=lq.to_query)
def test_the_live_match_agrees_with_the_sql(inbox_world, view: lq.ListView) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    in_sql = set(_numbers(me, **view.__dict__))
    rows = [inbox.list_update(c.id).row for c in inbox_world["chats"]]
    assert {r.number for r in rows if r and live_rows.matches(view, r, me)} == in_sql


@pytest.mark.feature("P8")
def test_a_changed_row_goes_to_the_top_and_a_row_that_left_the_view_goes(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    page = inbox.list_page(employee_id=me, view=lq.ListView()).rows
    oldest = inbox.list_update(inbox_world["chats"][0].id).row
    assert oldest is not None
    placed = live_rows.place(lq.ListView(), page, oldest, me, is_new=False)
    assert [r.number for r in placed.rows] == [1, 6, 5, 4, 3, 2] and placed.moved and placed.total_delta == 0
    deals = inbox.list_page(employee_id=me, view=lq.ListView(topic="deal")).rows
    chat_two = inbox.list_update(inbox_world["chats"][1].id).row
    assert chat_two is not None
    gone = live_rows.place(lq.ListView(topic="deal"), deals, chat_two, me, is_new=False)
    assert gone.rows == deals and gone.total_delta == 0
    left = live_rows.place(lq.ListView(topic="deal"), deals + [chat_two], chat_two, me, is_new=False)
    assert left.rows == deals and left.total_delta == -1


@pytest.mark.feature("L3")
@pytest.mark.parametrize("desc", [True, False])
def test_the_labels_order_pages_through_unread_chats_then_the_others(inbox_world, desc: bool) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    extra = inbox_world["chats"][4]
    with db.unit_of_work() as work:  # chat 5 gets a second unread message: it leads «Метки»
        work.session.add(Message(chat_id=extra.id, author_kind=AuthorKind.client, text="Ещё"))
    rows = [inbox.list_update(c.id).row for c in inbox_world["chats"]]
    expected = [r.number for r in sorted(rows, key=lambda r: (r.unread, r.id), reverse=desc)]  # type: ignore[union-attr]
    view = lq.ListView(sort="labels", desc=desc)
    with db.read_session() as session:
        pages = [list_order.ids_by_labels(session, view, me, offset, 2) for offset in (0, 2, 4)]
    numbers = {c.id: c.number for c in inbox_world["chats"]}
    assert [numbers[i] for page in pages for i in page] == expected
    assert expected[:2] == ([5, 2] if desc else [1, 3])


@pytest.mark.feature("L3")
@pytest.mark.parametrize("sort", ["responsible", "project"])
def test_sorting_by_a_joined_name_pages_group_by_group(inbox_world, sort: str) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    rows = [inbox.list_update(c.id).row for c in inbox_world["chats"]]
    name = (lambda r: r.responsible) if sort == "responsible" else (lambda r: r.project)  # noqa: E731
    ascending = sorted(rows, key=lambda r: (name(r) == "—", name(r), r.id))  # type: ignore[union-attr]
    for desc, expected in ((False, ascending), (True, ascending[::-1])):
        view = lq.ListView(sort=sort, desc=desc)
        with db.read_session() as session:
            pages = [list_order.ids_by_groups(session, view, me, offset, 2) for offset in (0, 2, 4)]
        assert [i for page in pages for i in page] == [r.id for r in expected]  # type: ignore[union-attr]


def test_a_wide_view_counts_up_to_the_cap_and_still_pages_on(inbox_world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    monkeypatch.setattr(lq, "COUNT_CAP", 3)
    monkeypatch.setattr(lq, "PAGE_SIZE", 2)
    first = inbox.list_page(employee_id=me, view=lq.ListView(state="open"))
    assert (first.total, first.more, first.pages) == (3, True, 2)
    third = inbox.list_page(employee_id=me, view=lq.ListView(state="open", page=3))
    assert third.page == 3 and [r.number for r in third.rows] == [1]
    exact = inbox.list_page(employee_id=me, view=lq.ListView(tab="new"))
    assert (exact.total, exact.more) == (2, False)
