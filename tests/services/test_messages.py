from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from chat_crm.models import Chat, ChatChange, Message
from chat_crm.services import chats, messages
from chat_crm.services.errors import Forbidden, NotFound, ServiceError
from tests import factories


@pytest.mark.feature("M1", "M10", "B8")
def test_first_client_message_creates_the_chat_assigns_s4_and_is_announced_after_commit(
    session: Session, world, published: list[dict]
) -> None:
    msg_id = messages.send_client_message(
        client_id=world["client"].id, text=" Здравствуйте ", client_msg_id="abcdef12"
    )
    chat = session.exec(select(Chat)).one()
    assert chat.responsible_id == world["manager"].id and chat.department_id == world["dept"].id
    assert session.get(Message, msg_id).text == "Здравствуйте"
    history = session.exec(select(ChatChange).where(ChatChange.chat_id == chat.id)).all()
    assert {h.field for h in history} == {"department", "responsible"}
    assert {"topic": "chat.message", "chat_id": chat.id, "message_id": msg_id} in published


@pytest.mark.feature("M8")
def test_a_resend_with_the_same_client_id_never_duplicates(session: Session, world) -> None:
    first = messages.send_client_message(client_id=world["client"].id, text="Раз", client_msg_id="same-id-1")
    again = messages.send_client_message(client_id=world["client"].id, text="Раз", client_msg_id="same-id-1")
    assert first == again
    assert session.exec(select(func.count()).select_from(Message)).one() == 1


def test_empty_and_too_long_texts_are_refused_in_russian(world) -> None:
    with pytest.raises(ServiceError, match="Введите текст сообщения"):
        messages.send_client_message(client_id=world["client"].id, text="   ", client_msg_id="abcdef12")
    with pytest.raises(ServiceError, match="Сообщение длиннее 4000 символов"):
        messages.send_client_message(client_id=world["client"].id, text="я" * 4001, client_msg_id="abcdef13")


@pytest.mark.feature("A3")
def test_an_operator_without_the_send_right_is_refused_on_the_server(session: Session, world) -> None:
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="abcdef12")
    chat = session.exec(select(Chat)).one()
    with pytest.raises(Forbidden, match="Недостаточно прав"):
        messages.send_employee_message(
            employee_id=world["operator"].id, chat_id=chat.id, text="Ответ", client_msg_id="emp-00001"
        )
    messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat.id, text="Ответ", client_msg_id="emp-00001"
    )
    views = messages.messages_for_client(client_id=world["client"].id)
    assert [(v.author_kind, v.author_name, v.text) for v in views] == [
        ("client", "Иванов Иван Иванович", "Вопрос"),
        ("employee", "Менеджер Мария", "Ответ"),
    ]


def test_an_unknown_chat_and_a_missing_chat_look_the_same(world) -> None:
    with pytest.raises(NotFound, match="Чат не найден"):
        messages.messages_for_employee(employee_id=world["manager"].id, chat_id=999)


@pytest.mark.feature("M11", "L6", "L7")
def test_unread_counts_come_from_one_place_and_reset_when_the_employee_reads(session: Session, world) -> None:
    for n in range(3):
        messages.send_client_message(
            client_id=world["client"].id, text=f"№{n}", client_msg_id=f"client-{n:04d}"
        )
    page = chats.list_chats(employee_id=world["manager"].id, only_unread=True)
    assert [(r.client_name, r.unread) for r in page.rows] == [("Иванов Иван Иванович", 3)]
    chat = session.exec(select(Chat)).one()
    assert messages.mark_read_by_employee(employee_id=world["operator"].id, chat_id=chat.id) == 3
    assert chats.list_chats(employee_id=world["manager"].id, only_unread=True).total == 0


@pytest.mark.feature("L2")
def test_search_by_chat_number_and_by_name(session: Session, world) -> None:
    other = factories.client(session, "Петрова Ольга Игоревна")
    messages.send_client_message(client_id=world["client"].id, text="А", client_msg_id="client-0001")
    messages.send_client_message(client_id=other.id, text="Б", client_msg_id="client-0002")
    by_name = chats.list_chats(employee_id=world["manager"].id, search="петрова")
    assert [r.client_name for r in by_name.rows] == ["Петрова Ольга Игоревна"]
    by_number = chats.list_chats(employee_id=world["manager"].id, search="1")
    assert [r.number for r in by_number.rows] == [1]


def test_live_catch_up_returns_only_newer_messages(world) -> None:
    ids = [
        messages.send_client_message(
            client_id=world["client"].id, text=f"{n}", client_msg_id=f"client-{n:04d}"
        )
        for n in range(4)
    ]
    newer = messages.messages_for_client(client_id=world["client"].id, after_id=ids[1])
    assert [v.id for v in newer] == ids[2:]
