from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from chat_crm import config
from chat_crm.models import Chat, ChatChange, ChatSettings, Message, utcnow
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


# ---- hardening (issue 9): keys, text, the rate limit, S1 ------------------------------------


def _count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Message)).one()


@pytest.mark.feature("P18", "M8")
def test_the_browser_made_key_is_validated_and_a_resend_returns_the_stored_message(
    session: Session, world
) -> None:
    key = "0b6f1c52-4f9e-4d0e-9a51-5f0c2b7d9e11"  # crypto.randomUUID() in the browser
    first = messages.send_client_message(client_id=world["client"].id, text="Привет", client_msg_id=key)
    assert (
        messages.send_client_message(client_id=world["client"].id, text="Привет", client_msg_id=key) == first
    )
    for bad in (
        "",
        "short",
        "x" * 65,
        "a b c d e f g h",
        "ключ-сообщения",
        "abc\x00defgh",
        "<script>1</script>",
    ):
        with pytest.raises(ServiceError, match="Неверный ключ сообщения") as err:
            messages.send_client_message(client_id=world["client"].id, text="Привет", client_msg_id=bad)
        assert err.value.field == "client_msg_id"
    with pytest.raises(ServiceError, match="Неверный ключ сообщения"):
        messages.send_client_message(client_id=world["client"].id, text="Привет", client_msg_id=12345678)  # type: ignore[arg-type]
    assert _count(session) == 1


def test_nul_controls_and_lone_surrogates_are_never_stored(session: Session, world) -> None:
    msg_id = messages.send_client_message(
        client_id=world["client"].id, text="А\x00Б\ud800В\udfffГ\x1b\tД\nЕ 😀", client_msg_id="clean-0001"
    )
    assert session.get(Message, msg_id).text == "АБВГ\tД\nЕ 😀"
    with pytest.raises(ServiceError, match="Введите текст сообщения"):
        messages.send_client_message(
            client_id=world["client"].id, text="\x00\ud800 ", client_msg_id="clean-0002"
        )
    messages.edit_client_message(
        client_id=world["client"].id, message_id=msg_id, text="Новый\x00\udc00 текст"
    )
    session.expire_all()
    assert session.get(Message, msg_id).text == "Новый текст"
    chat = session.exec(select(Chat)).one()
    reply = messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat.id, text="От\x00вет\ud83d", client_msg_id="clean-0003"
    )
    messages.edit_employee_message(employee_id=world["manager"].id, message_id=reply, text="Ит\x00ог")
    session.expire_all()
    assert session.get(Message, reply).text == "Итог"
    history = session.exec(select(ChatChange.old_value, ChatChange.new_value)).all()
    assert all("\x00" not in old + new for old, new in history)


@pytest.mark.feature("P18")
def test_the_rate_limit_holds_per_client_and_per_employee_and_a_resend_is_not_counted(
    session: Session, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESSAGE_RATE_LIMIT", "3")
    config.reload_settings()
    client_id = world["client"].id
    for n in range(3):
        messages.send_client_message(client_id=client_id, text=f"№{n}", client_msg_id=f"rate-c-{n:03d}")
    with pytest.raises(ServiceError, match="Слишком много сообщений: не больше 3 за 10 с") as err:
        messages.send_client_message(client_id=client_id, text="Ещё", client_msg_id="rate-c-999")
    assert err.value.field == "text"
    # A resend of a stored message is answered with it, limit or not.
    messages.send_client_message(client_id=client_id, text="№0", client_msg_id="rate-c-000")
    # Another client and the employee have their own counts.
    other = factories.client(session, "Петрова Ольга Игоревна")
    messages.send_client_message(client_id=other.id, text="Я другой", client_msg_id="rate-o-001")
    chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
    for n in range(3):
        messages.send_employee_message(
            employee_id=world["manager"].id,
            chat_id=chat.id,
            text=f"Ответ {n}",
            client_msg_id=f"rate-e-{n:03d}",
        )
    with pytest.raises(ServiceError, match="Слишком много сообщений"):
        messages.send_employee_message(
            employee_id=world["manager"].id, chat_id=chat.id, text="Ещё", client_msg_id="rate-e-999"
        )
    assert _count(session) == 7
    # Once the window has passed (the clock is the one thing a test may move), sending goes on.
    past = utcnow() - timedelta(seconds=11)
    session.exec(sa.update(Message).values(created_at=past))  # type: ignore[call-overload]
    session.commit()
    messages.send_client_message(client_id=client_id, text="Снова", client_msg_id="rate-c-100")
    messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat.id, text="Снова", client_msg_id="rate-e-100"
    )
    assert _count(session) == 9


@pytest.mark.feature("S1")
def test_with_the_chat_off_the_storefront_no_client_send_is_stored_even_a_crafted_one(
    session: Session, world
) -> None:
    client_id = world["client"].id
    sent = messages.send_client_message(client_id=client_id, text="До", client_msg_id="s1-000001")
    row = session.exec(select(ChatSettings)).one()
    row.show_in_storefront = False
    session.add(row)
    session.commit()
    with pytest.raises(ServiceError, match="Чат сейчас недоступен"):
        messages.send_client_message(client_id=client_id, text="Скрытно", client_msg_id="s1-000002")
    with pytest.raises(ServiceError, match="Чат сейчас недоступен"):
        messages.edit_client_message(client_id=client_id, message_id=sent, text="Правка")
    with pytest.raises(ServiceError, match="Чат сейчас недоступен"):
        messages.check_client_may_send()  # the app asks before it takes a file
    # A resend of what was stored while the chat was shown only returns it.
    assert messages.send_client_message(client_id=client_id, text="До", client_msg_id="s1-000001") == sent
    assert _count(session) == 1
    session.expire_all()
    assert session.get(Message, sent).text == "До"


def test_ids_from_routes_and_events_are_parsed_strictly() -> None:
    assert messages.parse_id("17") == 17
    assert messages.parse_id(17) == 17
    for bad in (
        "",
        "0",
        "-1",
        "1e3",
        "²",
        "١٢",
        " 12a",
        str(2**63),
        "9" * 40,
        None,
        True,
        2**63,
        -5,
        1.5,
        [1],
    ):
        assert messages.parse_id(bad) == 0
    assert messages.parse_id(str(2**63 - 1)) == 2**63 - 1
