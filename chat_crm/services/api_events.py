"""The mobile API's event journal (P15): what a client's stream replays from the database.

``db._journal`` writes one ``api_event`` line per message added, changed or read, in the same
transaction; its id is the SSE event id. A reconnecting app names the last id it saw and gets
the lines after it in id order: nothing missed, nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from chat_crm.db import read_session
from chat_crm.models import ApiEvent, Chat, Message
from chat_crm.realtime import EventTopic
from chat_crm.services.access import access_client
from chat_crm.services.messages.views import MessageFacts, load_facts

READ = EventTopic.read.value


@dataclass(frozen=True)
class JournalEntry:
    id: int
    topic: str
    message_id: int
    side: str
    facts: MessageFacts | None  # the message as it is now (added or changed), else None


@dataclass(frozen=True)
class JournalPage:
    chat_id: int | None  # None: the client has no chat yet
    entries: list[JournalEntry]
    last_id: int  # the newest line read (with ``after_id`` None: the chat's newest line)


def journal_for_client(*, client_id: int, after_id: int | None, limit: int = 200) -> JournalPage:
    """The client's own chat's lines after ``after_id`` (None: none, only the newest id)."""
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        if chat is None:
            return JournalPage(None, [], 0)
        if after_id is None:
            newest = session.exec(select(sa.func.max(col(ApiEvent.id))).where(ApiEvent.chat_id == chat.id))
            return JournalPage(chat.id, [], newest.one() or 0)
        rows = session.exec(
            select(ApiEvent)
            .where(ApiEvent.chat_id == chat.id, col(ApiEvent.id) > after_id)
            .order_by(col(ApiEvent.id))
            .limit(limit)
        ).all()
        wanted = sorted({r.message_id for r in rows if r.topic != READ and r.message_id})
        found = (
            session.exec(select(Message).where(Message.chat_id == chat.id, col(Message.id).in_(wanted))).all()
            if wanted
            else []
        )
        facts = {f.id: f for f in load_facts(session, chat, list(found))}
        entries = [
            JournalEntry(
                r.id or 0, r.topic, r.message_id, r.side, None if r.topic == READ else facts.get(r.message_id)
            )
            for r in rows
        ]
        return JournalPage(chat.id, entries, entries[-1].id if entries else after_id)
