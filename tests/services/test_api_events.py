"""The mobile API's journal: one line per message added, changed or read, in the same transaction,
read back per chat in id order, only by the chat's own client (P15)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from chat_crm.models import ApiEvent
from chat_crm.services import api_events, messages
from chat_crm.services.errors import Unauthenticated
from tests import factories

pytestmark = pytest.mark.feature("P15")


def test_every_change_of_a_chat_is_journaled_and_replayed_in_order(session: Session, world) -> None:
    client_id, manager_id = world["client"].id, world["manager"].id
    assert api_events.journal_for_client(client_id=client_id, after_id=None).chat_id is None
    first = messages.send_client_message(client_id=client_id, text="Вопрос", client_msg_id="journal-001")
    start = api_events.journal_for_client(client_id=client_id, after_id=None)
    chat_id = start.chat_id or 0
    messages.edit_client_message(client_id=client_id, message_id=first, text="Вопрос, уточнил")
    reply = messages.send_employee_message(
        employee_id=manager_id, chat_id=chat_id, text="Ответ", client_msg_id="journal-002"
    )
    messages.mark_read_by_client(client_id=client_id)
    page = api_events.journal_for_client(client_id=client_id, after_id=start.last_id)
    assert [(e.topic, e.message_id) for e in page.entries] == [
        ("chat.message_changed", first),
        ("chat.message", reply),
        ("chat.read", reply),
    ]
    assert page.entries[0].facts is not None and page.entries[0].facts.row.text == "Вопрос, уточнил"
    assert page.entries[2].facts is None and page.entries[2].side == "client"
    # Resuming after a line gives exactly the lines after it.
    later = api_events.journal_for_client(client_id=client_id, after_id=page.entries[1].id)
    assert [e.id for e in later.entries] == [page.entries[2].id]
    # A resend writes nothing: no line for a message that was not stored again.
    before = len(session.exec(select(ApiEvent)).all())
    messages.send_client_message(client_id=client_id, text="Вопрос", client_msg_id="journal-001")
    assert len(session.exec(select(ApiEvent)).all()) == before


def test_another_clients_journal_is_its_own(session: Session, world) -> None:
    messages.send_client_message(client_id=world["client"].id, text="Мое", client_msg_id="journal-101")
    other = factories.client(session, "Петрова Ольга Игоревна")
    page = api_events.journal_for_client(client_id=other.id, after_id=0)
    assert page.chat_id is None and page.entries == []
    with pytest.raises(Unauthenticated):
        api_events.journal_for_client(client_id=999_999, after_id=0)
