"""The employee's in-app «Уведомления»: newest first, unread count, marked read on opening (N1)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from chat_crm.services import messages, notifications
from chat_crm.services.errors import Unauthenticated


@pytest.mark.feature("N1", "N2")
def test_the_inbox_lists_the_alerts_newest_first_and_counts_the_unread(session: Session, world) -> None:
    manager = world["manager"]
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="inbox-00000001")
    chat_id = messages.client_chat_id(client_id=world["client"].id)
    inbox = notifications.staff_inbox(employee_id=manager.id)
    assert inbox.unread == 2
    assert [n.text.split(" №")[0] for n in inbox.latest] == [
        "Новое сообщение в чате витрины",
        "Вас назначили ответственным в чате витрины",
    ]
    assert {n.chat_id for n in inbox.latest} == {chat_id}  # each entry opens its chat (N2)
    notifications.mark_staff_inbox_read(employee_id=manager.id)
    after = notifications.staff_inbox(employee_id=manager.id)
    assert after.unread == 0 and not any(n.unread for n in after.latest)
    assert notifications.staff_inbox(employee_id=world["operator"].id).latest == []  # only one's own


def test_a_deactivated_employee_reads_no_inbox(session: Session, world) -> None:
    operator = world["operator"]
    operator.is_active = False
    session.add(operator)
    session.commit()
    with pytest.raises(Unauthenticated):
        notifications.staff_inbox(employee_id=operator.id)
