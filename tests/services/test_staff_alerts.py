"""Who among the staff hears about a client's message or an assignment, and how (N1, N2)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from chat_crm import db
from chat_crm.models import Chat, Role, StaffNotification
from chat_crm.models.notify import OutboxItem
from chat_crm.services import chat_management, messages, outbox
from chat_crm.services.access import Permission
from chat_crm.services.chat_management import ChatChanges
from tests import factories, servers

BOTH = {"chat_new_message": ["push", "email"], "chat_assigned": ["push", "email"]}


def _channels(session: Session, role_id: int, chosen: dict[str, list[str]]) -> None:
    role = session.get(Role, role_id)
    assert role is not None
    role.notifications = chosen
    session.add(role)
    session.commit()


def _entries(session: Session, employee_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.exec(select(StaffNotification).where(StaffNotification.employee_id == employee_id))
    return [(n.kind, n.text) for n in rows]


def _outbox(session: Session) -> list[tuple[str, int | None, str]]:
    session.expire_all()
    rows = session.exec(select(OutboxItem).order_by(OutboxItem.id))
    return [(r.channel, r.employee_id, r.payload.get("title") or r.payload.get("subject")) for r in rows]


def _say(client_id: int, text: str, key: str) -> int:
    return messages.send_client_message(client_id=client_id, text=text, client_msg_id=f"alert-{key:0>8}")


@pytest.mark.feature("N1")
def test_the_responsible_is_alerted_once_per_unread_chat_as_the_role_chose(session: Session, world) -> None:
    manager, client = world["manager"], world["client"]
    _channels(session, manager.role_id, {"chat_new_message": ["push", "email"]})
    _say(client.id, "Первый вопрос", "1")  # opens the dialog: S4 makes the manager responsible
    chat = session.exec(select(Chat)).one()
    new = f"Новое сообщение в чате витрины №{chat.number}"
    assigned = f"Вас назначили ответственным в чате витрины №{chat.number}"
    assert sorted(_entries(session, manager.id)) == [("chat_assigned", assigned), ("chat_new_message", new)]
    assert _outbox(session) == [("push", manager.id, new), ("email", manager.id, new)]  # no push for assigned
    _say(client.id, "Второй вопрос", "2")  # still unread: no second alert
    assert len(_entries(session, manager.id)) == 2 and len(_outbox(session)) == 2
    assert _entries(session, world["operator"].id) == []  # not responsible
    session.exec(sa.update(StaffNotification).values(read_at=sa.func.current_timestamp()))  # type: ignore[call-overload]
    session.commit()
    _say(client.id, "Третий вопрос", "3")
    assert len(_entries(session, manager.id)) == 3 and len(_outbox(session)) == 4


@pytest.mark.feature("N1")
def test_without_a_responsible_the_departments_answerers_are_alerted(session: Session, world) -> None:
    dept = world["dept"]
    writer_role = session.get(Role, world["manager"].role_id)
    colleague = factories.employee(session, "c@demo.ru", role_row=writer_role, department_row=dept)
    away = factories.employee(session, "x@demo.ru", role_row=writer_role, department_row=dept, active=False)
    _say(world["client"].id, "Здравствуйте", "1")
    chat = session.exec(select(Chat)).one()
    chat.responsible_id = None
    session.add(chat)
    session.exec(sa.delete(StaffNotification))  # type: ignore[call-overload]
    session.commit()
    _say(world["client"].id, "Есть кто-нибудь?", "2")
    told = {
        e for e in (world["manager"].id, colleague.id, away.id, world["operator"].id) if _entries(session, e)
    }
    assert told == {world["manager"].id, colleague.id}  # active writers only: not the reader, not the away
    assert _outbox(session) == []  # the role chose no push or e-mail: the in-app entry only


@pytest.mark.feature("N1", "N2")
def test_an_assignment_alerts_the_new_responsible_but_not_who_takes_a_chat_themselves(
    session: Session, world, smtp: servers.SmtpServer
) -> None:
    manager = world["manager"]
    role = factories.role(session, "Старший", [Permission.support_chat, Permission.chat_send])
    boss = factories.employee(session, "boss@demo.ru", role_row=role, department_row=world["dept"])
    _channels(session, manager.role_id, BOTH)
    _channels(session, role.id, BOTH)
    _say(world["client"].id, "Вопрос", "1")
    chat = session.exec(select(Chat)).one()
    before = len(_outbox(session))
    chat_management.update_chat(
        employee_id=boss.id, chat_id=chat.id, changes=ChatChanges(responsible=str(boss.id))
    )
    assert len(_outbox(session)) == before  # one's own action: no alert
    chat_management.update_chat(
        employee_id=boss.id, chat_id=chat.id, changes=ChatChanges(responsible=str(manager.id))
    )
    assigned = f"Вас назначили ответственным в чате витрины №{chat.number}"
    assert _outbox(session)[-2:] == [("push", manager.id, assigned), ("email", manager.id, assigned)]
    outbox.deliver_due()
    subjects = [m["Subject"] for m in smtp.messages]
    # S4 made them responsible at the first message, then the boss handed the chat back
    assert subjects == [assigned, f"Новое сообщение в чате витрины №{chat.number}", assigned]
    link = f"http://localhost:3000/support/chats/{chat.id}"
    assert any(link in m.get_body(("plain",)).get_content() for m in smtp.messages)


def test_a_client_message_costs_a_few_statements_more(session: Session, world) -> None:
    """The alert's reads (the responsible, their role, the unread check) and its writes."""
    _channels(session, world["manager"].role_id, BOTH)
    _say(world["client"].id, "Вопрос", "1")
    counted: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        counted.append(statement)

    sa.event.listen(db.get_engine(), "before_cursor_execute", count)
    try:
        _say(world["client"].id, "Ещё вопрос", "2")  # unread: the check only
    finally:
        sa.event.remove(db.get_engine(), "before_cursor_execute", count)
    alert_reads = [s for s in counted if "staff_notification" in s]
    assert len(alert_reads) == 1
