"""Editing and deleting a sent message (M6, M7); the original stays in «История изменений»."""

from __future__ import annotations

from chat_crm.db import UnitOfWork, unit_of_work
from chat_crm.models import AuthorKind, Chat, ChatChange, Message, utcnow
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services.access import Permission, access_chat_as_employee, access_client, require_employee
from chat_crm.services.chats import touch
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.messages.rules import (
    CLIENT_EDIT_WINDOW,
    check_text,
    employee_may_change,
    require_chat_shown,
)
from chat_crm.services.timefmt import format_datetime
from chat_crm.texts import t


def _record_change(work: UnitOfWork, chat: Chat, message: Message, new_value: str) -> None:
    """The original text goes to «История изменений» (M6, M7): employees can always see it."""
    by_client = message.author_kind == AuthorKind.client
    work.session.add(
        ChatChange(
            chat_id=chat.id or 0,
            actor_kind=message.author_kind,
            employee_id=None if by_client else message.employee_id,
            field="message",
            old_value=message.text,
            new_value=new_value,
            note=t("history.message_of", when=format_datetime(message.created_at)),
        )
    )
    touch(work, chat)
    work.announce(ChatEvent(EventTopic.message_changed, chat_id=chat.id or 0, message_id=message.id or 0))


def _client_message(work: UnitOfWork, client_id: int, message_id: int) -> tuple[Chat, Message]:
    """The client's own message it may still change, or a Russian reason why not."""
    client = access_client(work.session, client_id)
    message = work.session.get(Message, message_id)
    chat = work.session.get(Chat, message.chat_id) if message else None
    if (
        message is None
        or chat is None
        or chat.client_id != client.id
        or message.author_kind != AuthorKind.client
    ):
        raise NotFound(t("error.not_found"))
    if message.deleted_at is not None:
        raise ServiceError(t("error.message_deleted"))
    if message.read_at is not None:
        raise ServiceError(t("error.message_read"))
    if utcnow() - message.created_at >= CLIENT_EDIT_WINDOW:
        raise ServiceError(t("error.message_too_old"))
    return chat, message


def _employee_message(work: UnitOfWork, employee_id: int, message_id: int) -> tuple[Chat, Message]:
    message = work.session.get(Message, message_id)
    if message is None:
        raise NotFound(t("error.not_found"))
    chat = access_chat_as_employee(work.session, employee_id, message.chat_id)
    require_employee(work.session, employee_id, Permission.chat_send)
    if not employee_may_change(message, employee_id):
        raise ServiceError(t("error.not_your_message"))
    return chat, message


def _edit(work: UnitOfWork, chat: Chat, message: Message, text: str) -> None:
    text = check_text(text, may_be_empty=bool(message.attachment_id or message.deep_link_kind))
    if text == message.text:
        return
    _record_change(work, chat, message, text)
    message.text, message.edited_at = text, utcnow()
    work.session.add(message)


def _delete(work: UnitOfWork, chat: Chat, message: Message) -> None:
    _record_change(work, chat, message, t("message.deleted"))
    message.deleted_at = utcnow()
    work.session.add(message)


def edit_client_message(*, client_id: int, message_id: int, text: str) -> None:
    with unit_of_work() as work:
        require_chat_shown(work.session)  # S1: an edit is a send too
        _edit(work, *_client_message(work, client_id, message_id), text)


def delete_client_message(*, client_id: int, message_id: int) -> None:
    with unit_of_work() as work:
        _delete(work, *_client_message(work, client_id, message_id))


def edit_employee_message(*, employee_id: int, message_id: int, text: str) -> None:
    with unit_of_work() as work:
        _edit(work, *_employee_message(work, employee_id, message_id), text)


def delete_employee_message(*, employee_id: int, message_id: int) -> None:
    with unit_of_work() as work:
        _delete(work, *_employee_message(work, employee_id, message_id))
