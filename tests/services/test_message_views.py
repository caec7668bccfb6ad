"""How a message is shown: links, date separators, dialog lines, each viewer's flags (P3–P5, M6, M7)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from chat_crm.models import Chat, Message, utcnow
from chat_crm.services import messages
from chat_crm.services.messages import TextPart, Viewer
from chat_crm.services.timefmt import day_label, plural


@pytest.mark.feature("P4")
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("без ссылок", [TextPart("без ссылок")]),
        (
            "Смотрите https://example.ru/a?b=1, там всё.",
            [
                TextPart("Смотрите "),
                TextPart("https://example.ru/a?b=1", "https://example.ru/a?b=1"),
                TextPart(", там всё."),
            ],
        ),
        ("javascript:alert(1) и data:text/html,x", [TextPart("javascript:alert(1) и data:text/html,x")]),
        ("(http://a.ru)", [TextPart("("), TextPart("http://a.ru", "http://a.ru"), TextPart(")")]),
    ],
)
def test_only_http_links_become_links_and_the_text_stays_whole(text: str, parts: list[TextPart]) -> None:
    assert messages.text_parts(text) == parts
    assert "".join(p.text for p in messages.text_parts(text)) == text


@pytest.mark.feature("P3")
def test_day_labels_are_russian_and_relative_to_today() -> None:
    today = date(2026, 11, 25)
    assert day_label(today, today) == "Сегодня"
    assert day_label(today - timedelta(days=1), today) == "Вчера"
    assert day_label(date(2026, 11, 12), today) == "12 ноября"
    assert day_label(date(2025, 3, 1), today) == "1 марта 2025"
    assert [plural(n, ("день", "дня", "дней")) for n in (1, 2, 5, 11, 21, 22)] == [
        "1 день",
        "2 дня",
        "5 дней",
        "11 дней",
        "21 день",
        "22 дня",
    ]


def _views(world, count: int = 3) -> list[messages.MessageView]:  # type: ignore[no-untyped-def]
    for n in range(count):
        messages.send_client_message(
            client_id=world["client"].id, text=f"№{n}", client_msg_id=f"view-{n:04d}"
        )
    return messages.messages_for_client(client_id=world["client"].id)


@pytest.mark.feature("P3")
def test_a_separator_marks_the_first_message_of_each_day(session: Session, world) -> None:
    _views(world)
    rows = session.exec(select(Message).order_by(Message.id)).all()
    rows[0].created_at = utcnow() - timedelta(days=3)
    session.add(rows[0])
    session.commit()
    views = messages.with_day_breaks("", messages.messages_for_client(client_id=world["client"].id))
    assert views[0].day_break not in ("", "Сегодня")
    assert [v.day_break for v in views[1:]] == ["Сегодня", ""]
    # A live message of the same day continues the list without a second «Сегодня».
    assert messages.with_day_breaks(views[-1].day, views[-1:])[0].day_break == ""


@pytest.mark.feature("M6", "M7")
def test_each_viewer_gets_its_own_flags_from_one_read(session: Session, world) -> None:
    _views(world, 1)
    chat = session.exec(select(Chat)).one()
    batch = messages.live_batch(chat_id=chat.id or 0, after_id=0)
    facts = batch.facts[0]
    as_client = messages.view_for(facts, Viewer(), utcnow())
    as_manager = messages.view_for(facts, Viewer(world["manager"].id), utcnow())
    assert as_client.is_mine and as_client.can_change
    assert not as_manager.is_mine and not as_manager.can_change
    assert as_client.text == as_manager.text == "№0"
    # After the hour the client may no longer change it (M7), decided in memory.
    assert not messages.view_for(facts, Viewer(), utcnow() + timedelta(hours=1)).can_change


@pytest.mark.feature("P5")
def test_closing_and_reopening_a_dialog_draw_the_lines(session: Session, world) -> None:
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="dialog-0001")
    chat = session.exec(select(Chat)).one()
    messages.close_dialog(employee_id=world["manager"].id, chat_id=chat.id or 0, reason="resolved")
    messages.send_client_message(client_id=world["client"].id, text="Ещё вопрос", client_msg_id="dialog-0002")
    views = messages.messages_for_employee(employee_id=world["manager"].id, chat_id=chat.id or 0)
    lines = [(v.dialog_before, v.text[:10], v.dialog_after) for v in views]
    assert lines[0][0] == "Новый диалог"
    assert lines[1][2] == "Диалог завершен: Вопрос решен"
    assert lines[2] == ("Новый диалог", "Ещё вопрос", "")


@pytest.mark.feature("M11")
def test_a_read_mark_names_the_newest_message_read(session: Session, world, published: list[dict]) -> None:
    _views(world, 2)
    chat = session.exec(select(Chat)).one()
    newest = max(m.id for m in session.exec(select(Message)).all())
    assert messages.mark_read_by_employee(employee_id=world["manager"].id, chat_id=chat.id or 0) == 2
    assert {"topic": "chat.read", "chat_id": chat.id, "side": "employee", "message_id": newest} in published
    published.clear()
    assert messages.mark_read_by_employee(employee_id=world["manager"].id, chat_id=chat.id or 0) == 0
    assert published == []  # nothing new read: no event to any screen
