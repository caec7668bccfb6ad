"""Edit, delete, read state and closing a dialog (M6, M7, M9, M10, M11)."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm import config
from chat_crm.models import BotSettings, Chat, ChatChange, DialogState, Message, utcnow
from chat_crm.services import chats, messages
from chat_crm.services.errors import ServiceError
from tests import factories

_ids = count()


@pytest.fixture(autouse=True)
def no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests send many messages at once; the limit has its own test in test_messages.py."""
    monkeypatch.setenv("MESSAGE_RATE_LIMIT", "0")
    config.reload_settings()


def _client_says(world, text: str = "Вопрос") -> int:
    return messages.send_client_message(
        client_id=world["client"].id, text=text, client_msg_id=f"client-{next(_ids):06d}"
    )


def _manager_says(world, chat_id: int, text: str = "Ответ", who: str = "manager") -> int:
    return messages.send_employee_message(
        employee_id=world[who].id, chat_id=chat_id, text=text, client_msg_id=f"staff-{next(_ids):06d}"
    )


def _age(session: Session, message_id: int, age: timedelta) -> None:
    """Move a message back in time: the only fake here is the clock."""
    row = session.get(Message, message_id)
    row.created_at = utcnow() - age
    session.add(row)
    session.commit()


@pytest.mark.feature("M7")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.integers(min_value=0, max_value=180), read=st.booleans(), delete=st.booleans())
def test_a_client_changes_a_message_only_within_the_hour_and_while_unread(
    session: Session, world, minutes: int, read: bool, delete: bool
) -> None:
    message_id = _client_says(world, "Исходный текст")
    _age(session, message_id, timedelta(minutes=minutes))
    if read:
        chat_id = session.get(Message, message_id).chat_id
        messages.mark_read_by_employee(employee_id=world["manager"].id, chat_id=chat_id)
    allowed = minutes < 60 and not read
    view = next(v for v in messages.messages_for_client(client_id=world["client"].id) if v.id == message_id)
    assert view.can_change is allowed  # the app offers exactly what the server allows
    change = (
        (lambda: messages.delete_client_message(client_id=world["client"].id, message_id=message_id))
        if delete
        else (
            lambda: messages.edit_client_message(
                client_id=world["client"].id, message_id=message_id, text="Новый текст"
            )
        )
    )
    if allowed:
        change()
        session.expire_all()
        row = session.get(Message, message_id)
        assert (row.deleted_at is not None) if delete else (row.text == "Новый текст")
    else:
        reason = "прочитал" if read else "в течение часа"
        with pytest.raises(ServiceError, match=reason):
            change()
        session.expire_all()
        row = session.get(Message, message_id)
        assert row.text == "Исходный текст" and row.deleted_at is None


@pytest.mark.feature("M7")
def test_a_client_cannot_touch_another_clients_or_the_staffs_messages(session: Session, world) -> None:
    mine = _client_says(world)
    chat = session.exec(select(Chat)).one()
    staff = _manager_says(world, chat.id)
    stranger = factories.client(session, "Петров Пётр")
    for client_id, message_id in ((stranger.id, mine), (world["client"].id, staff)):
        with pytest.raises(ServiceError, match="Не найдено"):
            messages.edit_client_message(client_id=client_id, message_id=message_id, text="взлом")


@pytest.mark.feature("M6", "C4")
def test_an_employee_edits_and_deletes_own_messages_only_and_history_keeps_the_original(
    session: Session, world, published: list[dict]
) -> None:
    _client_says(world)
    chat = session.exec(select(Chat)).one()
    own = _manager_says(world, chat.id, "Ключи в понедельник")
    colleague = factories.employee(
        session, "c@demo.ru", role_row=factories.role(session, "Коллега"), department_row=world["dept"]
    )
    world["colleague"] = colleague
    theirs = _manager_says(world, chat.id, "Чужое", who="colleague")

    with pytest.raises(ServiceError, match="только свои сообщения"):
        messages.edit_employee_message(employee_id=world["manager"].id, message_id=theirs, text="Моё")
    with pytest.raises(ServiceError, match="только свои сообщения"):
        messages.delete_employee_message(employee_id=world["manager"].id, message_id=theirs)

    messages.edit_employee_message(employee_id=world["manager"].id, message_id=own, text="Ключи во вторник")
    assert {"topic": "chat.message_changed", "chat_id": chat.id, "message_id": own} in published
    messages.delete_employee_message(employee_id=world["manager"].id, message_id=own)

    client_view = next(v for v in messages.messages_for_client(client_id=world["client"].id) if v.id == own)
    assert (client_view.text, client_view.is_deleted) == ("Сообщение удалено", True)
    history = chats.chat_history(employee_id=world["manager"].id, chat_id=chat.id)
    changes = [(h.who, h.old, h.new) for h in history if h.what == "Сообщение"]
    assert changes == [
        ("Менеджер Мария", "Ключи в понедельник", "Ключи во вторник"),
        ("Менеджер Мария", "Ключи во вторник", "Сообщение удалено"),
    ]
    assert session.get(Message, theirs).text == "Чужое"


@pytest.mark.feature("M9", "M10", "B8")
@pytest.mark.parametrize(
    ("reason", "configured", "expected"),
    [
        ("resolved", "", "Рады, что смогли помочь! Диалог завершен. Если появятся вопросы — напишите нам."),
        ("no_reply", "Ждём вас снова!", "Ждём вас снова!"),
    ],
)
def test_closing_sends_the_s10_text_as_the_responsible_and_the_next_message_reopens(
    session: Session, world, reason: str, configured: str, expected: str
) -> None:
    session.add(BotSettings(resolved_text="", no_reply_text=configured))
    session.commit()
    _client_says(world)
    chat = session.exec(select(Chat)).one()
    # The operator may read but not write: closing is writing.
    with pytest.raises(ServiceError, match="Недостаточно прав"):
        messages.close_dialog(employee_id=world["operator"].id, chat_id=chat.id, reason=reason)
    closing = messages.close_dialog(employee_id=world["manager"].id, chat_id=chat.id, reason=reason)
    session.expire_all()
    row = session.get(Message, closing)
    assert (row.text, row.employee_id) == (expected, world["manager"].id)
    assert session.get(Chat, chat.id).dialog_state == DialogState.closed
    with pytest.raises(ServiceError, match="Диалог уже завершен"):
        messages.close_dialog(employee_id=world["manager"].id, chat_id=chat.id, reason=reason)

    _client_says(world, "Ещё вопрос")
    session.expire_all()
    assert session.get(Chat, chat.id).dialog_state == DialogState.open
    texts = [v.text for v in messages.messages_for_client(client_id=world["client"].id)]
    assert texts == ["Вопрос", expected, "Ещё вопрос"]  # one chat, the whole history (M10)
    dialog = session.exec(select(ChatChange).where(ChatChange.field == "dialog")).one()
    assert dialog.new_value == "Завершен" and dialog.employee_id == world["manager"].id


@pytest.mark.feature("M11")
def test_unread_counts_for_both_sides_come_from_one_service(session: Session, world) -> None:
    _client_says(world)
    _client_says(world)
    chat = session.exec(select(Chat)).one()
    assert messages.unread_counts(session, chat.id) == messages.UnreadCounts(by_employees=2, by_client=0)
    messages.mark_read_by_employee(employee_id=world["operator"].id, chat_id=chat.id)
    _manager_says(world, chat.id)
    assert messages.unread_counts(session, chat.id) == messages.UnreadCounts(by_employees=0, by_client=1)
    assert messages.unread_for_client(client_id=world["client"].id) == 1
    messages.mark_read_by_client(client_id=world["client"].id)
    assert messages.unread_for_client(client_id=world["client"].id) == 0
    client_views = messages.messages_for_client(client_id=world["client"].id)
    assert [v.is_read for v in client_views] == [True, True, True]


@pytest.mark.feature("M10")
def test_earlier_messages_page_back_to_the_first(session: Session, world) -> None:
    ids = [_client_says(world, f"№{n}") for n in range(messages.HISTORY_LIMIT + 7)]
    newest = messages.messages_for_client(client_id=world["client"].id)
    assert [v.id for v in newest] == ids[7:]
    earlier = messages.messages_for_client(client_id=world["client"].id, before_id=newest[0].id)
    assert [v.id for v in earlier] == ids[:7]
