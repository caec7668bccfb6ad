"""The card's «Клиент» and «Управление» (C2, C3), the history of each change (C4) and
«Назначить на меня» (P10): every field checked on the server, whatever the browser sent."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm.models import (
    Building,
    Chat,
    ChatChange,
    Client,
    ClientUnit,
    Project,
    StaffNotification,
    Topic,
    Unit,
    UnitStatus,
)
from chat_crm.services import chats
from chat_crm.services.access import Permission
from chat_crm.services.assignment import may_answer
from chat_crm.services.chat_management import (
    COMMENT_LIMIT,
    ChatChanges,
    assign_to_me,
    card_details,
    responsible_options,
    update_chat,
)
from chat_crm.services.errors import Forbidden, ServiceError
from tests import factories

_ids = itertools.count(1)


def _unit(session: Session, client: Client, status: UnitStatus = UnitStatus.deal) -> Unit:
    project = Project(name=f"ЖК «Тест {next(_ids)}»")
    session.add(project)
    session.flush()
    building = Building(project_id=project.id or 0, name="Корпус 1")
    session.add(building)
    session.flush()
    unit = Unit(building_id=building.id or 0, number=str(100 + next(_ids)))
    session.add(unit)
    session.flush()
    session.add(ClientUnit(client_id=client.id or 0, unit_id=unit.id or 0, status=status))
    session.commit()
    return unit


@pytest.fixture
def card(session: Session, world):
    """A chat of the world's client with two units, a second department and a stranger's unit."""
    client = world["client"]
    client.phone, client.email = "+7 900 000-00-01", "ivanov@example.ru"
    session.add(client)
    chat = Chat(number=1, client_id=client.id or 0, department_id=world["dept"].id)
    session.add(chat)
    session.commit()
    sales = factories.department(session, "Отдел сопровождения")
    writer = factories.role(session, "Продажи", [Permission.support_chat, Permission.chat_send])
    seller = factories.employee(
        session, "s@demo.ru", role_row=writer, department_row=sales, name="Продавец П"
    )
    stranger = factories.client(session, "Петров Пётр Петрович")
    return {
        "chat": chat,
        "units": [_unit(session, client, UnitStatus.deal), _unit(session, client, UnitStatus.booking)],
        "foreign_unit": _unit(session, stranger),
        "sales": sales,
        "seller": seller,
        "writer_role": writer,
    }


def _fresh(session: Session, chat_id: int) -> Chat:
    session.expire_all()
    return session.get(Chat, chat_id)


@pytest.mark.feature("C2")
def test_the_client_block_shows_the_clients_data_and_is_hidden_for_a_visitor(session, world, card) -> None:
    view = card_details(employee_id=world["operator"].id, chat_id=card["chat"].id)
    assert view.client is not None
    assert (view.client.full_name, view.client.phone, view.client.email) == (
        "Иванов Иван Иванович",
        "+7 900 000-00-01",
        "ivanov@example.ru",
    )
    assert [u.status for u in view.client.units] == ["Сделка", "Бронирование"]
    visitor = factories.client(session, authorized=False)
    other = Chat(number=2, client_id=visitor.id or 0)
    session.add(other)
    session.commit()
    assert card_details(employee_id=world["manager"].id, chat_id=other.id).client is None


@pytest.mark.feature("C3")
def test_the_form_offers_only_this_clients_units_and_who_may_answer(session, world, card) -> None:
    view = card_details(employee_id=world["manager"].id, chat_id=card["chat"].id)
    assert [o.value for o in view.units] == [str(u.id) for u in card["units"]]
    assert [o.label for o in view.topics] == ["Приемка", "Сделка", "Бронирование", "Ипотека", "Другой вопрос"]
    assert [o.value for o in view.responsibles] == [str(world["manager"].id)]  # not the operator
    assert (view.can_edit, view.can_take) == (True, True)
    sales = responsible_options(
        employee_id=world["manager"].id, chat_id=card["chat"].id, department=str(card["sales"].id)
    )
    assert [o.label for o in sales] == ["Продавец П"]


@pytest.mark.feature("C3", "C4", "P10")
def test_saving_each_field_writes_the_chat_its_history_and_tells_the_new_responsible(
    session, world, card, published: list[dict]
) -> None:
    chat, unit, manager = card["chat"], card["units"][0], world["manager"]
    update_chat(
        employee_id=manager.id,
        chat_id=chat.id,
        changes=ChatChanges(
            unit=str(unit.id),
            topic="mortgage",
            department=str(card["sales"].id),
            responsible=str(card["seller"].id),
            comment="  Перезвонить после 18:00 ",
        ),
    )
    saved = _fresh(session, chat.id)
    assert (saved.unit_id, saved.topic, saved.department_id, saved.responsible_id, saved.comment) == (
        unit.id,
        Topic.mortgage,
        card["sales"].id,
        card["seller"].id,
        "Перезвонить после 18:00",
    )
    history = chats.chat_history(employee_id=manager.id, chat_id=chat.id)
    lines = {(h.who, h.what, h.old, h.new) for h in history}
    assert lines == {
        ("Менеджер Мария", "Помещение", "—", f"{unit_caption(session, unit)}"),
        ("Менеджер Мария", "Тема", "—", "Ипотека"),
        ("Менеджер Мария", "Подразделение", "Отдел продаж", "Отдел сопровождения"),
        ("Менеджер Мария", "Ответственный", "—", "Продавец П"),
        ("Менеджер Мария", "Комментарий", "—", "Перезвонить после 18:00"),
    }
    told = session.exec(select(StaffNotification)).all()
    assert [(n.employee_id, n.text) for n in told] == [
        (card["seller"].id, "Вас назначили ответственным в чате витрины №1")
    ]
    assert {"topic": "chat.changed", "chat_id": chat.id} in published


def unit_caption(session: Session, unit: Unit) -> str:
    return chats.unit_caption(session, unit.id)[0]


def _refused(session: Session, world, card, changes: ChatChanges, field: str, message: str) -> None:
    before = _fresh(session, card["chat"].id).model_dump()
    with pytest.raises(ServiceError, match=message) as refused:
        update_chat(employee_id=world["manager"].id, chat_id=card["chat"].id, changes=changes)
    assert refused.value.field == field
    assert _fresh(session, card["chat"].id).model_dump() == before
    assert session.exec(select(ChatChange)).all() == []


@pytest.mark.feature("C3")
def test_a_unit_of_another_client_is_refused(session, world, card) -> None:
    _refused(session, world, card, ChatChanges(unit=str(card["foreign_unit"].id)), "unit", "не принадлежит")
    _refused(session, world, card, ChatChanges(unit="99999"), "unit", "не принадлежит")
    _refused(session, world, card, ChatChanges(unit="1 OR 1=1"), "unit", "не принадлежит")


@pytest.mark.feature("C3")
def test_a_responsible_from_another_department_inactive_or_read_only_is_refused(session, world, card) -> None:
    message = "Ответственным может быть только активный сотрудник"
    _refused(session, world, card, ChatChanges(responsible=str(card["seller"].id)), "responsible", message)
    _refused(session, world, card, ChatChanges(responsible=str(world["operator"].id)), "responsible", message)
    gone = factories.employee(
        session, "gone@demo.ru", role_row=card["writer_role"], department_row=world["dept"], active=False
    )
    _refused(session, world, card, ChatChanges(responsible=str(gone.id)), "responsible", message)
    # A new department re-checks the responsible the form left as it was.
    _refused(
        session,
        world,
        card,
        ChatChanges(department=str(card["sales"].id), responsible=str(world["manager"].id)),
        "responsible",
        message,
    )


@pytest.mark.feature("C3")
def test_an_unknown_topic_or_department_and_a_too_long_comment_are_refused(session, world, card) -> None:
    _refused(session, world, card, ChatChanges(topic="purchase"), "topic", "Такой темы нет")
    _refused(session, world, card, ChatChanges(department="424242"), "department", "Такого подразделения нет")
    too_long = "я" * (COMMENT_LIMIT + 1)
    _refused(
        session, world, card, ChatChanges(comment=too_long), "comment", f"не больше {COMMENT_LIMIT} символов"
    )


@pytest.mark.feature("C3", "A3")
def test_an_employee_who_may_only_read_sees_the_block_but_cannot_change_or_take(session, world, card) -> None:
    view = card_details(employee_id=world["operator"].id, chat_id=card["chat"].id)
    assert (view.can_edit, view.can_take) == (False, False)
    with pytest.raises(Forbidden):
        update_chat(
            employee_id=world["operator"].id, chat_id=card["chat"].id, changes=ChatChanges(comment="x")
        )
    with pytest.raises(Forbidden):
        assign_to_me(employee_id=world["operator"].id, chat_id=card["chat"].id)
    assert session.exec(select(ChatChange)).all() == []


@pytest.mark.feature("P10", "C4")
def test_assign_to_me_takes_the_chat_in_one_step(session, world, card, published: list[dict]) -> None:
    view = assign_to_me(employee_id=card["seller"].id, chat_id=card["chat"].id)
    saved = _fresh(session, card["chat"].id)
    assert (saved.department_id, saved.responsible_id) == (card["sales"].id, card["seller"].id)
    assert view.can_take is False and view.form.responsible == str(card["seller"].id)
    history = chats.chat_history(employee_id=card["seller"].id, chat_id=card["chat"].id)
    assert {(h.who, h.what, h.new) for h in history} == {
        ("Продавец П", "Подразделение", "Отдел сопровождения"),
        ("Продавец П", "Ответственный", "Продавец П"),
    }
    # Nobody is told what they just did themselves.
    assert session.exec(select(StaffNotification)).all() == []
    assert {"topic": "chat.changed", "chat_id": card["chat"].id} in published
    assign_to_me(employee_id=card["seller"].id, chat_id=card["chat"].id)  # again: nothing new
    assert len(chats.chat_history(employee_id=card["seller"].id, chat_id=card["chat"].id)) == 2


values = st.one_of(st.none(), st.just(""), st.text(max_size=6), st.integers(0, 40).map(str))


@given(
    unit=values,
    topic=st.one_of(values, st.sampled_from([t.value for t in Topic])),
    department=values,
    responsible=values,
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_payload_is_either_refused_whole_or_leaves_a_consistent_chat(
    session, world, card, unit, topic, department, responsible
) -> None:
    """A crafted event can send anything: the chat never gets a stranger's unit, nor a
    responsible who may not answer."""
    try:
        update_chat(
            employee_id=world["manager"].id,
            chat_id=card["chat"].id,
            changes=ChatChanges(unit=unit, topic=topic, department=department, responsible=responsible),
        )
    except ServiceError as err:
        assert err.field in {"unit", "topic", "department", "responsible"}
    chat = _fresh(session, card["chat"].id)
    assert chat.unit_id is None or chat.unit_id in {u.id for u in card["units"]}
    if chat.responsible_id is not None:
        assert may_answer(
            session, session.get(type(world["manager"]), chat.responsible_id), chat.department_id
        )
