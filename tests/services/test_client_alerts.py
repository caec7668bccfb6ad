"""The phone's counters (N4), banner (N3) and «Уведомления» entries (N5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from chat_crm.models import Chat, utcnow
from chat_crm.services import client_alerts, messages, reminders
from tests import factories


def _chat(session: Session, world) -> int:
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="cli-00001")
    return session.exec(select(Chat.id)).one()


def _staff(world, chat_id: int, text: str, key: str) -> int:
    return messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat_id, text=text, client_msg_id=key
    )


@pytest.mark.feature("N4")
def test_the_count_is_the_staff_messages_the_client_has_not_read_and_resets_on_reading(
    session: Session, world
) -> None:
    client_id = world["client"].id
    chat_id = _chat(session, world)
    assert client_alerts.unread_count(client_id=client_id) == 0  # the client's own message
    _staff(world, chat_id, "Раз", "emp-00001")
    _staff(world, chat_id, "Два", "emp-00002")
    assert client_alerts.unread_count(client_id=client_id) == 2
    messages.mark_read_by_client(client_id=client_id)
    assert client_alerts.unread_count(client_id=client_id) == 0


@pytest.mark.feature("N4")
def test_another_clients_messages_never_count(session: Session, world) -> None:
    chat_id = _chat(session, world)
    _staff(world, chat_id, "Только вам", "emp-00001")
    other = factories.client(session, "Петров Пётр")
    assert client_alerts.unread_count(client_id=other.id) == 0
    assert client_alerts.unread_count(client_id=world["client"].id) == 1


@pytest.mark.feature("N4")
def test_a_deleted_message_no_longer_counts(session: Session, world) -> None:
    chat_id = _chat(session, world)
    message_id = _staff(world, chat_id, "Ошибся", "emp-00001")
    messages.delete_employee_message(employee_id=world["manager"].id, message_id=message_id)
    assert client_alerts.unread_count(client_id=world["client"].id) == 0


@pytest.mark.feature("N3")
def test_the_banner_is_the_sender_and_a_plain_preview(session: Session, world) -> None:
    chat_id = _chat(session, world)
    _staff(world, chat_id, "<b>Здравствуйте</b>\n\n" + "очень " * 40, "emp-00001")
    view = messages.messages_for_client(client_id=world["client"].id)[-1]
    banner = client_alerts.message_banner(view)
    assert banner.title == "Менеджер Мария"
    assert banner.text.startswith("<b>Здравствуйте</b> очень")  # text, shown as text, never HTML
    assert len(banner.text) <= client_alerts.PREVIEW_CHARS and banner.text.endswith("…")


@pytest.mark.feature("N5")
def test_notifications_newest_first_and_their_mark_goes_when_viewed(session: Session, world) -> None:
    client_id = world["client"].id
    chat_id = _chat(session, world)
    _staff(world, chat_id, "Первое", "emp-00001")
    reminders.fire_due(now=utcnow() + timedelta(hours=25))
    messages.send_client_message(client_id=client_id, text="Да", client_msg_id="cli-00002")
    _staff(world, chat_id, "Второе", "emp-00002")
    reminders.fire_due(now=utcnow() + timedelta(hours=49))
    assert client_alerts.unseen_notifications(client_id=client_id) == 2
    notes = client_alerts.notifications(client_id=client_id)
    assert [n.id for n in notes] == sorted((n.id for n in notes), reverse=True)
    assert all(n.when and n.unseen for n in notes)
    banner = client_alerts.newest_notification_banner(client_id=client_id)
    assert banner is not None and banner.key == f"n{notes[0].id}"

    assert client_alerts.mark_notifications_seen(client_id=client_id) == 2
    assert client_alerts.unseen_notifications(client_id=client_id) == 0
    assert not any(n.unseen for n in client_alerts.notifications(client_id=client_id))
    assert client_alerts.newest_notification_banner(client_id=client_id) is None
