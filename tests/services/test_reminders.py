"""The 24-hour reminder (N5): a durable timer, started by the staff, cancelled by the client."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from chat_crm.models import Chat, ClientNotification, OutboxItem, PushSubscription, Timer, utcnow
from chat_crm.services import client_alerts, messages, reminders

DAY = timedelta(hours=24)


def _chat(session: Session, world) -> int:
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="cli-00001")
    return session.exec(select(Chat.id)).one()


def _staff(world, chat_id: int, text: str, key: str) -> None:
    messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat_id, text=text, client_msg_id=key
    )


def _notes(session: Session) -> list[ClientNotification]:
    return list(session.exec(select(ClientNotification)).all())


@pytest.mark.feature("N5")
def test_an_unanswered_staff_message_reminds_the_client_once_after_24_hours(
    session: Session, world, published: list[dict]
) -> None:
    chat_id = _chat(session, world)
    start = utcnow()
    _staff(world, chat_id, "Ответ", "emp-00001")
    assert reminders.fire_due(now=start + DAY - timedelta(minutes=5)) == 0
    assert _notes(session) == []

    assert reminders.fire_due(now=start + DAY + timedelta(minutes=1)) == 1
    (note,) = _notes(session)
    assert note.client_id == world["client"].id and note.chat_id == chat_id
    assert note.text.startswith("Вы не ответили на сообщение в чате")
    assert {"topic": "client.notification", "chat_id": chat_id} in published
    # Once: later rounds find nothing more.
    assert reminders.fire_due(now=start + 3 * DAY) == 0
    assert len(_notes(session)) == 1
    views = client_alerts.notifications(client_id=world["client"].id)
    assert [v.text for v in views] == [note.text] and views[0].unseen


@pytest.mark.feature("N5")
def test_the_timer_counts_from_the_first_unanswered_message(session: Session, world) -> None:
    chat_id = _chat(session, world)
    _staff(world, chat_id, "Первое", "emp-00001")
    _staff(world, chat_id, "Второе", "emp-00002")
    pending = session.exec(select(Timer).where(col(Timer.done_at).is_(None))).all()
    assert len(pending) == 1 and pending[0].kind == "client_reminder"
    first = session.exec(select(func.min(Timer.due_at))).one()
    assert reminders.fire_due(now=first + timedelta(seconds=1)) == 1


@pytest.mark.feature("N5")
def test_a_client_reply_cancels_the_reminder_and_the_next_staff_message_starts_a_new_one(
    session: Session, world
) -> None:
    chat_id = _chat(session, world)
    start = utcnow()
    _staff(world, chat_id, "Ответ", "emp-00001")
    messages.send_client_message(client_id=world["client"].id, text="Спасибо", client_msg_id="cli-00002")
    assert reminders.fire_due(now=start + 2 * DAY) == 0
    assert _notes(session) == []

    _staff(world, chat_id, "Ещё вопрос к вам", "emp-00002")
    assert reminders.fire_due(now=utcnow() + DAY + timedelta(seconds=1)) == 1
    assert len(_notes(session)) == 1


@pytest.mark.feature("N5")
def test_two_workers_firing_at_once_fire_once(session: Session, world) -> None:
    chat_id = _chat(session, world)
    _staff(world, chat_id, "Ответ", "emp-00001")
    later = utcnow() + DAY + timedelta(minutes=1)
    gate = threading.Barrier(2)

    def worker() -> int:
        gate.wait()
        return reminders.fire_due(now=later)

    with ThreadPoolExecutor(2) as pool:
        fired = [f.result() for f in [pool.submit(worker), pool.submit(worker)]]
    assert sorted(fired) == [0, 1]
    assert len(_notes(session)) == 1


@pytest.mark.feature("N5")
def test_a_due_timer_left_by_a_dead_worker_fires_on_the_next_round(session: Session, world) -> None:
    """The due time is a row: whatever process comes next fires it (a restart, a kill -9)."""
    chat_id = _chat(session, world)
    session.add(Timer(kind=reminders.KIND, chat_id=chat_id, due_at=utcnow() - timedelta(hours=1)))
    session.commit()
    assert reminders.fire_due() == 1
    assert len(_notes(session)) == 1


@pytest.mark.feature("N3", "N5")
def test_a_subscribed_phone_gets_a_push_per_staff_message_and_for_the_reminder(
    session: Session, world
) -> None:
    chat_id = _chat(session, world)
    _staff(world, chat_id, "Без подписки", "emp-00001")
    assert session.exec(select(OutboxItem)).all() == []  # nothing to send to: no row
    session.add(
        PushSubscription(client_id=world["client"].id, endpoint="https://push.test/1", p256dh="k", auth="a")
    )
    session.commit()
    _staff(world, chat_id, "Ваш договор готов", "emp-00002")
    reminders.fire_due(now=utcnow() + DAY + timedelta(minutes=1))
    pushes = session.exec(select(OutboxItem).order_by(OutboxItem.id)).all()
    assert [(p.client_id, p.payload["title"], p.payload["body"][:17]) for p in pushes] == [
        (world["client"].id, "Менеджер Мария", "Ваш договор готов"),
        (world["client"].id, "Чат с поддержкой", "Вы не ответили на"),
    ]
    assert all(p.payload["url"] == "/app" for p in pushes)
