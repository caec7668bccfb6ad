"""Reassign on silence (P12): the durable timer, its clearing by a reply, and firing once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from chat_crm import config, db
from chat_crm.models import (
    AuthorKind,
    Chat,
    ChatChange,
    DepartmentRouting,
    RoutingPolicy,
    StaffNotification,
    Timer,
)
from chat_crm.services import messages, reassign
from chat_crm.services.access import Permission
from tests import factories
from tests.conftest import use_database

MINUTES = 5


def _org(session: Session, world) -> dict:
    """The world's department with a second writer and «after 5 minutes» switched on."""
    dept = world["dept"]
    writer = factories.role(session, "Второй менеджер", [Permission.support_chat, Permission.chat_send])
    world["second"] = factories.employee(
        session, "s@demo.ru", role_row=writer, department_row=dept, name="Второй Сергей"
    )
    session.add(
        DepartmentRouting(
            department_id=dept.id, policy=RoutingPolicy.round_robin, reassign_after_minutes=MINUTES
        )
    )
    session.commit()
    return world


def _client_writes(session: Session, world, key: str) -> Chat:
    messages.send_client_message(client_id=world["client"].id, text="Есть кто?", client_msg_id=key)
    session.expire_all()
    return session.exec(select(Chat).where(Chat.client_id == world["client"].id)).one()


def _pending(session: Session, chat: Chat) -> list[Timer]:
    session.expire_all()
    return list(
        session.exec(
            select(Timer).where(Timer.chat_id == chat.id, Timer.kind == reassign.KIND, Timer.done_at == None)  # noqa: E711
        ).all()
    )


@pytest.mark.feature("P12")
def test_a_silent_responsible_loses_the_chat_once_as_the_system(session: Session, world) -> None:
    _org(session, world)
    chat = _client_writes(session, world, "silence-key-1")
    assert chat.responsible_id == world["manager"].id  # the S4 employee
    (timer,) = _pending(session, chat)
    start = chat.last_client_message_at
    assert timer.due_at == start + timedelta(minutes=MINUTES)
    # Another client message while waiting keeps the first deadline.
    _client_writes(session, world, "silence-key-2")
    assert [t.due_at for t in _pending(session, chat)] == [timer.due_at]

    assert reassign.fire_due(now=start + timedelta(minutes=MINUTES - 1)) == 0
    assert reassign.fire_due(now=start + timedelta(minutes=MINUTES, seconds=1)) == 1
    assert reassign.fire_due(now=start + timedelta(minutes=MINUTES, seconds=2)) == 0  # once

    session.expire_all()
    chat = session.get(Chat, chat.id)
    assert chat.responsible_id == world["second"].id
    line = session.exec(
        select(ChatChange)
        .where(ChatChange.chat_id == chat.id, ChatChange.field == "responsible")
        .order_by(ChatChange.id.desc())  # type: ignore[union-attr]
    ).first()
    assert (line.actor_kind, line.old_value, line.new_value) == (
        AuthorKind.system,
        "Менеджер Мария",
        "Второй Сергей",
    )
    assert line.note == "Ответственный не ответил клиенту за 5 мин: чат передан другому сотруднику"
    told = session.exec(
        select(StaffNotification.employee_id).where(StaffNotification.chat_id == chat.id)
    ).all()
    assert world["second"].id in told
    # The client still waits: the new responsible has the same 5 minutes, then it moves back.
    (again,) = _pending(session, chat)
    assert again.due_at == start + timedelta(minutes=2 * MINUTES, seconds=1)
    assert reassign.fire_due(now=again.due_at) == 1
    session.expire_all()
    assert session.get(Chat, chat.id).responsible_id == world["manager"].id


@pytest.mark.feature("P12")
def test_a_reply_clears_the_wait_and_the_next_client_message_starts_a_new_one(
    session: Session, world
) -> None:
    _org(session, world)
    chat = _client_writes(session, world, "reply-key-1")
    start = chat.last_client_message_at
    messages.send_employee_message(
        employee_id=world["manager"].id, chat_id=chat.id, text="Здравствуйте!", client_msg_id="reply-e-1"
    )
    assert reassign.fire_due(now=start + timedelta(minutes=MINUTES + 1)) == 0
    session.expire_all()
    assert session.get(Chat, chat.id).responsible_id == world["manager"].id
    assert _pending(session, chat) == []
    # The client writes again later: a fresh deadline from that message.
    chat = _client_writes(session, world, "reply-key-2")
    (timer,) = _pending(session, chat)
    assert timer.due_at == chat.last_client_message_at + timedelta(minutes=MINUTES)


@pytest.mark.feature("P12")
def test_off_by_default_and_nobody_else_means_no_move(session: Session, world) -> None:
    chat = _client_writes(session, world, "off-key-1")  # no routing row: off
    assert _pending(session, chat) == []
    _org(session, world)
    world["second"].is_active = False
    session.add(world["second"])
    session.commit()
    chat = _client_writes(session, world, "off-key-2")
    (timer,) = _pending(session, chat)
    assert reassign.fire_due(now=timer.due_at) == 0  # nobody else may take it: it stays
    session.expire_all()
    assert session.get(Chat, chat.id).responsible_id == world["manager"].id


def _race(due) -> int:  # type: ignore[no-untyped-def]
    """Two workers' rounds at the same moment: how many chats moved in all."""
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def worker() -> None:
        barrier.wait()
        fired.append(reassign.fire_due(now=due))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(fired)


@pytest.mark.feature("P12")
def test_two_workers_firing_at_once_move_the_chat_once(session: Session, world) -> None:
    _org(session, world)
    chat = _client_writes(session, world, "race-key-1")
    (timer,) = _pending(session, chat)
    assert _race(timer.due_at) == 1
    lines = session.exec(
        select(ChatChange).where(
            ChatChange.chat_id == chat.id,
            ChatChange.actor_kind == AuthorKind.system,
            ChatChange.field == "responsible",
        )
    ).all()
    assert len([line for line in lines if line.note.startswith("Ответственный не ответил")]) == 1


@contextmanager
def _fresh_postgres(postgres_url: str) -> Iterator[str]:
    import psycopg

    name = f"reassign_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    use_database(url)
    try:
        SQLModel.metadata.create_all(db.get_engine())
        yield url
    finally:
        db.get_engine().dispose()
        config.reload_settings()
        db._engine_for.cache_clear()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.integration
@pytest.mark.feature("P12")
def test_on_postgresql_too_two_workers_move_a_chat_once(postgres_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    with _fresh_postgres(postgres_url), Session(db.get_engine(), expire_on_commit=False) as session:
        dept = factories.department(session)
        writer = factories.role(session, "Менеджер", [Permission.support_chat, Permission.chat_send])
        manager = factories.employee(session, "m@demo.ru", role_row=writer, department_row=dept, name="Мария")
        factories.chat_settings(session, dept, manager)
        world = {"dept": dept, "manager": manager, "client": factories.client(session)}
        _org(session, world)
        chat = _client_writes(session, world, "pg-race-key-1")
        (timer,) = _pending(session, chat)
        assert _race(timer.due_at) == 1
        session.expire_all()
        assert session.get(Chat, chat.id).responsible_id == world["second"].id
