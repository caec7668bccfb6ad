"""Sending and reading messages (M1, M10, M11).

Each send carries a client-generated id, unique per chat: a resend after a
network error returns the stored message instead of writing a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import (
    AuthorKind,
    Chat,
    Client,
    DialogState,
    Employee,
    Message,
    utcnow,
)
from chat_crm.services.access import (
    Permission,
    access_chat_as_employee,
    access_client,
    require_employee,
)
from chat_crm.services.assignment import assign_default_responsible
from chat_crm.services.chats import client_display_name, ensure_chat, touch
from chat_crm.services.errors import ServiceError
from chat_crm.services.timefmt import format_datetime, format_time
from chat_crm.texts import t

MAX_TEXT = 4000
HISTORY_LIMIT = 50


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ServiceError(t("error.empty_message"), field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(t("error.message_too_long", limit=MAX_TEXT), field="text")
    return text


def check_client_msg_id(client_msg_id: str) -> str:
    client_msg_id = client_msg_id.strip()
    if not (8 <= len(client_msg_id) <= 64):
        raise ServiceError(t("error.not_found"))
    return client_msg_id


@dataclass(frozen=True)
class MessageView:
    id: int
    author_kind: str
    author_name: str
    text: str
    time: str
    when: str
    is_deleted: bool
    is_edited: bool
    is_read: bool


def _author_names(session: Session, messages: list[Message]) -> dict[int, str]:
    ids = {m.employee_id for m in messages if m.employee_id}
    if not ids:
        return {}
    rows = session.exec(select(Employee.id, Employee.full_name).where(col(Employee.id).in_(ids)))
    return {row[0]: row[1] for row in rows}


def _views(session: Session, chat: Chat, messages: list[Message]) -> list[MessageView]:
    client = session.get(Client, chat.client_id)
    names = _author_names(session, messages)
    views = []
    for m in messages:
        if m.author_kind == AuthorKind.client:
            author = client_display_name(client)
        else:
            author = names.get(m.employee_id or 0, t(f"author.{m.author_kind}"))
        views.append(
            MessageView(
                id=m.id or 0,
                author_kind=m.author_kind.value,
                author_name=author,
                text="" if m.deleted_at else m.text,
                time=format_time(m.created_at),
                when=format_datetime(m.created_at),
                is_deleted=m.deleted_at is not None,
                is_edited=m.edited_at is not None,
                is_read=m.read_at is not None,
            )
        )
    return views


def _recent(session: Session, chat: Chat, after_id: int, limit: int) -> list[Message]:
    query = select(Message).where(Message.chat_id == chat.id)
    if after_id:
        query = query.where(col(Message.id) > after_id).order_by(col(Message.id)).limit(limit)
        return list(session.exec(query).all())
    newest = session.exec(query.order_by(sa.desc(col(Message.id))).limit(limit)).all()
    return list(reversed(newest))


def messages_for_employee(
    *, employee_id: int, chat_id: int, after_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    """The last ``limit`` messages, or those after ``after_id`` (a live catch-up)."""
    with read_session() as session:
        chat = access_chat_as_employee(session, employee_id, chat_id)
        return _views(session, chat, _recent(session, chat, after_id, limit))


def client_chat_id(*, client_id: int) -> int | None:
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        return chat.id if chat else None


def messages_for_client(
    *, client_id: int, after_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        if chat is None:
            return []
        return _views(session, chat, _recent(session, chat, after_id, limit))


def _existing(session: Session, chat_id: int, client_msg_id: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.chat_id == chat_id, Message.client_msg_id == client_msg_id)
    ).first()


def _store_once(
    client_msg_id: str, chat_id_of: Callable[[Session], int], write: Callable[[UnitOfWork], int]
) -> int:
    """Run ``write``; if the same resend raced itself, return what the other attempt stored."""
    try:
        with unit_of_work() as work:
            return write(work)
    except sa.exc.IntegrityError:
        with read_session() as session:
            found = _existing(session, chat_id_of(session), client_msg_id)
            if found is None:
                raise
            return found.id or 0


def _client_chat_id(client_id: int) -> Callable[[Session], int]:
    return lambda session: session.exec(select(Chat.id).where(Chat.client_id == client_id)).one() or 0


def send_client_message(*, client_id: int, text: str, client_msg_id: str) -> int:
    """Store the client's message and announce it; returns the message id."""
    text = check_text(text)
    client_msg_id = check_client_msg_id(client_msg_id)

    def write(work: UnitOfWork) -> int:
        client = access_client(work.session, client_id)
        chat = ensure_chat(work.session, client)
        if (found := _existing(work.session, chat.id or 0, client_msg_id)) is not None:
            return found.id or 0
        now = utcnow()
        if chat.dialog_state == DialogState.closed:
            # A new dialog in the same chat (M10); the basic scenario assigns S4 (B8).
            chat.dialog_state = DialogState.open
            chat.dialog_started_at = now
            assign_default_responsible(work, chat)
        chat.consent_pending = False
        chat.last_message_at = chat.last_client_message_at = now
        return _add_message(
            work, chat, Message(author_kind=AuthorKind.client, text=text, client_msg_id=client_msg_id)
        )

    return _store_once(client_msg_id, _client_chat_id(client_id), write)


def send_employee_message(*, employee_id: int, chat_id: int, text: str, client_msg_id: str) -> int:
    text = check_text(text)
    client_msg_id = check_client_msg_id(client_msg_id)

    def write(work: UnitOfWork) -> int:
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        employee = require_employee(work.session, employee_id, Permission.chat_send)
        if (found := _existing(work.session, chat_id, client_msg_id)) is not None:
            return found.id or 0
        chat.last_message_at = chat.last_employee_message_at = utcnow()
        return _add_message(
            work,
            chat,
            Message(
                author_kind=AuthorKind.employee,
                employee_id=employee.id,
                text=text,
                client_msg_id=client_msg_id,
            ),
        )

    return _store_once(client_msg_id, lambda _session: chat_id, write)


def _add_message(work: UnitOfWork, chat: Chat, message: Message) -> int:
    """Insert a message into the chat, mark the chat changed, and announce both after commit."""
    message.chat_id = chat.id or 0
    message.created_at = chat.last_message_at or utcnow()
    work.session.add(message)
    touch(work, chat)
    work.session.flush()
    work.announce("chat.message", {"chat_id": chat.id, "message_id": message.id})
    return message.id or 0


def mark_read_by_employee(*, employee_id: int, chat_id: int) -> int:
    """Everything the client wrote in this chat counts as read (M11). Returns how many."""
    with unit_of_work() as work:
        access_chat_as_employee(work.session, employee_id, chat_id)
        result = work.session.exec(  # type: ignore[call-overload]
            sa.update(Message)
            .where(
                col(Message.chat_id) == chat_id,
                col(Message.author_kind) == AuthorKind.client,
                col(Message.read_at).is_(None),
            )
            .values(read_at=utcnow(), read_by_employee_id=employee_id)
        )
        count = result.rowcount or 0
        if count:
            work.announce("chat.read", {"chat_id": chat_id, "side": "employee"})
        return count


def mark_read_by_client(*, client_id: int) -> int:
    with unit_of_work() as work:
        client = access_client(work.session, client_id)
        chat = work.session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        if chat is None:
            return 0
        result = work.session.exec(  # type: ignore[call-overload]
            sa.update(Message)
            .where(
                col(Message.chat_id) == chat.id,
                col(Message.author_kind) != AuthorKind.client,
                col(Message.read_at).is_(None),
            )
            .values(read_at=utcnow())
        )
        count = result.rowcount or 0
        if count:
            work.announce("chat.read", {"chat_id": chat.id, "side": "client"})
        return count
