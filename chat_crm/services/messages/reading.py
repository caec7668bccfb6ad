"""Reading a conversation: the window a screen opens on, live catch-ups, read marks (M10, M11)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import AuthorKind, Chat, Message, utcnow
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services.access import access_chat_as_employee, access_client
from chat_crm.services.chats import unread_condition
from chat_crm.services.messages.rules import HISTORY_LIMIT
from chat_crm.services.messages.views import MessageFacts, MessageView, Viewer, load_facts, view_for


def _recent(session: Session, chat: Chat, after_id: int, limit: int, before_id: int = 0) -> list[Message]:
    """The ``limit`` newest messages; or those after ``after_id`` (a live catch-up); or the
    ``limit`` just before ``before_id`` («Показать предыдущие сообщения», M10)."""
    query = select(Message).where(Message.chat_id == chat.id)
    if before_id:
        query = query.where(col(Message.id) < before_id)
    if after_id:
        query = query.where(col(Message.id) > after_id).order_by(col(Message.id)).limit(limit)
        return list(session.exec(query).all())
    newest = session.exec(query.order_by(sa.desc(col(Message.id))).limit(limit)).all()
    return list(reversed(newest))


def _views(session: Session, chat: Chat, rows: list[Message], viewer: Viewer) -> list[MessageView]:
    now = utcnow()
    return [view_for(f, viewer, now) for f in load_facts(session, chat, rows)]


def messages_for_employee(
    *, employee_id: int, chat_id: int, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    """The last ``limit`` messages, or those after ``after_id`` (a live catch-up)."""
    with read_session() as session:
        chat = access_chat_as_employee(session, employee_id, chat_id)
        rows = _recent(session, chat, after_id, limit, before_id)
        return _views(session, chat, rows, Viewer(employee_id))


def _client_chat(session: Session, client_id: int) -> Chat | None:
    client = access_client(session, client_id)
    return session.exec(select(Chat).where(Chat.client_id == client.id)).first()


def client_chat_id(*, client_id: int) -> int | None:
    with read_session() as session:
        chat = _client_chat(session, client_id)
        return chat.id if chat else None


def messages_for_client(
    *, client_id: int, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    with read_session() as session:
        chat = _client_chat(session, client_id)
        if chat is None:
            return []
        return _views(session, chat, _recent(session, chat, after_id, limit, before_id), Viewer())


def facts_for_client(
    *, client_id: int, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageFacts]:
    """Like ``messages_for_client``, with each message's row (the mobile API's timestamps, keys)."""
    with read_session() as session:
        chat = _client_chat(session, client_id)
        if chat is None:
            return []
        return load_facts(session, chat, _recent(session, chat, after_id, limit, before_id))


def client_message_by_key(*, client_id: int, client_msg_id: str) -> int | None:
    """The id of the client's message sent with ``client_msg_id``, if it is stored (M8)."""
    with read_session() as session:
        chat = _client_chat(session, client_id)
        if chat is None:
            return None
        query = select(Message.id).where(Message.chat_id == chat.id, Message.client_msg_id == client_msg_id)
        return session.exec(query).first()


@dataclass(frozen=True)
class LiveBatch:
    """What the live listener read once for every screen of one chat."""

    facts: tuple[MessageFacts, ...] = ()


def live_batch(*, chat_id: int, after_id: int = 0, message_ids: tuple[int, ...] = ()) -> LiveBatch:
    """New messages after ``after_id``, or the messages ``message_ids`` (changed ones).

    No actor is checked here: only screens that passed their access check when they
    opened the chat receive the batch, each through its own ``view_for``.
    """
    with read_session() as session:
        chat = session.get(Chat, chat_id)
        if chat is None:
            return LiveBatch()
        if message_ids:
            query = select(Message).where(Message.chat_id == chat_id, col(Message.id).in_(message_ids))
            rows = list(session.exec(query.order_by(col(Message.id))).all())
        else:
            rows = _recent(session, chat, after_id, HISTORY_LIMIT)
        return LiveBatch(tuple(load_facts(session, chat, rows)))


def _mark_read(work: UnitOfWork, chat_id: int, *, written_by_client: bool, employee_id: int | None) -> int:
    """Mark what one side wrote as read by the other; announce the newest id read (M11)."""
    author = col(Message.author_kind)
    values: dict[str, object] = {"read_at": utcnow()}
    if employee_id is not None:
        values["read_by_employee_id"] = employee_id
    read_ids = work.session.execute(
        sa.update(Message)
        .where(
            col(Message.chat_id) == chat_id,
            author == AuthorKind.client if written_by_client else author != AuthorKind.client,
            col(Message.read_at).is_(None),
        )
        .values(**values)
        .returning(col(Message.id))
    ).all()
    if read_ids:
        side = "employee" if written_by_client else "client"
        newest = max(row[0] for row in read_ids)
        work.announce(ChatEvent(EventTopic.read, chat_id=chat_id, side=side, message_id=newest))
    return len(read_ids)


def mark_read_by_employee(*, employee_id: int, chat_id: int) -> int:
    """Everything the client wrote in this chat counts as read (M11). Returns how many."""
    with unit_of_work() as work:
        access_chat_as_employee(work.session, employee_id, chat_id)
        return _mark_read(work, chat_id, written_by_client=True, employee_id=employee_id)


def mark_read_by_client(*, client_id: int) -> int:
    with unit_of_work() as work:
        chat = _client_chat(work.session, client_id)
        if chat is None:
            return 0
        return _mark_read(work, chat.id or 0, written_by_client=False, employee_id=None)


@dataclass(frozen=True)
class UnreadCounts:
    """M11: what employees have not read yet, and what the client has not."""

    by_employees: int
    by_client: int


def unread_counts(session: Session, chat_id: int) -> UnreadCounts:
    """Both sides' unread counts of a chat, from the one definition in chats.py."""

    def count(written_by_client: bool) -> int:
        query = select(sa.func.count(col(Message.id))).where(
            Message.chat_id == chat_id, unread_condition(written_by_client=written_by_client)
        )
        return session.exec(query).one()

    return UnreadCounts(by_employees=count(True), by_client=count(False))


def unread_for_client(*, client_id: int) -> int:
    with read_session() as session:
        chat = _client_chat(session, client_id)
        return unread_counts(session, chat.id or 0).by_client if chat else 0
