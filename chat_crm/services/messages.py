"""Sending, changing and reading messages (M1, M2, M5–M11).

Each send carries a client-generated id, unique per chat: a resend after a
network error returns the stored message instead of writing a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import (
    Attachment,
    AuthorKind,
    BotSettings,
    Chat,
    ChatChange,
    Client,
    DialogState,
    Employee,
    Message,
    Project,
    utcnow,
)
from chat_crm.services import bot
from chat_crm.services.access import (
    Permission,
    access_chat_as_employee,
    access_client,
    require_employee,
)
from chat_crm.services.assignment import assign_default_responsible
from chat_crm.services.attachments import claim_staged, size_label
from chat_crm.services.chats import add_message, client_display_name, ensure_chat, touch, unread_condition
from chat_crm.services.deeplinks import check_deep_link, link_card
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.timefmt import format_datetime, format_time
from chat_crm.texts import t

MAX_TEXT = 4000
HISTORY_LIMIT = 50
# M7: a client may edit or delete a message for this long, and only while unread.
CLIENT_EDIT_WINDOW = timedelta(hours=1)


def check_text(text: str, *, may_be_empty: bool = False) -> str:
    """The text to store. ``may_be_empty``: the message carries a file or a link."""
    text = text.strip()
    if not text and not may_be_empty:
        raise ServiceError(t("error.empty_message"), field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(t("error.message_too_long", limit=MAX_TEXT), field="text")
    return text


def check_client_msg_id(client_msg_id: str) -> str:
    client_msg_id = client_msg_id.strip()
    if not (8 <= len(client_msg_id) <= 64):
        raise ServiceError(t("error.not_found"))
    return client_msg_id


def client_may_change(message: Message, now: datetime) -> bool:
    """M7: the client's own message, within the hour, not yet read by any employee."""
    return (
        message.author_kind == AuthorKind.client
        and message.deleted_at is None
        and message.read_at is None
        and now - message.created_at < CLIENT_EDIT_WINDOW
    )


def employee_may_change(message: Message, employee_id: int) -> bool:
    """M6: an employee changes only messages they wrote themselves."""
    return (
        message.author_kind == AuthorKind.employee
        and message.employee_id == employee_id
        and message.deleted_at is None
    )


@dataclass(frozen=True)
class MessageView:
    """A message as one viewer sees it: ``can_change`` is that viewer's right (M6, M7)."""

    id: int
    author_kind: str
    author_name: str
    author_photo: str
    text: str
    time: str
    when: str
    is_deleted: bool
    is_edited: bool
    is_read: bool
    is_mine: bool
    can_change: bool
    file_id: int
    file_name: str
    file_size: str
    file_is_image: bool
    link_kind: str
    link_title: str
    link_note: str
    link_image: str


def _authors(session: Session, messages: list[Message]) -> dict[int, tuple[str, str]]:
    """Employee id → (name, photo) of the staff who wrote these messages."""
    ids = {m.employee_id for m in messages if m.employee_id}
    if not ids:
        return {}
    rows = session.exec(
        select(Employee.id, Employee.full_name, Employee.photo_url).where(col(Employee.id).in_(ids))
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def _by_id(session: Session, model: type[Attachment] | type[Project], ids: set[int | None]) -> dict:  # type: ignore[type-arg]
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted))).all()}


def _views(
    session: Session, chat: Chat, messages: list[Message], *, viewer_employee_id: int | None
) -> list[MessageView]:
    """Views for one viewer: an employee (``viewer_employee_id``) or, when None, the client."""
    client = session.get(Client, chat.client_id)
    authors = _authors(session, messages)
    files = _by_id(session, Attachment, {m.attachment_id for m in messages})
    projects = _by_id(session, Project, {m.deep_link_project_id for m in messages})
    now = utcnow()
    views = []
    for m in messages:
        if m.author_kind == AuthorKind.client:
            author, photo = client_display_name(client), ""
        else:
            author, photo = authors.get(m.employee_id or 0, (t(f"author.{m.author_kind}"), ""))
        if viewer_employee_id is None:
            mine, can_change = m.author_kind == AuthorKind.client, client_may_change(m, now)
        else:
            mine = m.author_kind != AuthorKind.client
            can_change = employee_may_change(m, viewer_employee_id)
        shown = m.deleted_at is None
        file = files.get(m.attachment_id) if shown else None
        link = link_card(m.deep_link_kind, projects.get(m.deep_link_project_id)) if shown else None
        views.append(
            MessageView(
                id=m.id or 0,
                author_kind=m.author_kind.value,
                author_name=author,
                author_photo=photo,
                text=m.text if shown else t("message.deleted"),
                time=format_time(m.created_at),
                when=format_datetime(m.created_at),
                is_deleted=not shown,
                is_edited=m.edited_at is not None,
                is_read=m.read_at is not None,
                is_mine=mine,
                can_change=can_change,
                file_id=file.id if file else 0,
                file_name=file.filename if file else "",
                file_size=size_label(file.size_bytes) if file else "",
                file_is_image=bool(file and file.is_image),
                link_kind=link.kind if link else "",
                link_title=link.title if link else "",
                link_note=link.note if link else "",
                link_image=link.image if link else "",
            )
        )
    return views


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


def messages_for_employee(
    *, employee_id: int, chat_id: int, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    """The last ``limit`` messages, or those after ``after_id`` (a live catch-up)."""
    with read_session() as session:
        chat = access_chat_as_employee(session, employee_id, chat_id)
        shown = _recent(session, chat, after_id, limit, before_id)
        return _views(session, chat, shown, viewer_employee_id=employee_id)


def client_chat_id(*, client_id: int) -> int | None:
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        return chat.id if chat else None


def messages_for_client(
    *, client_id: int, after_id: int = 0, before_id: int = 0, limit: int = HISTORY_LIMIT
) -> list[MessageView]:
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        if chat is None:
            return []
        shown = _recent(session, chat, after_id, limit, before_id)
        return _views(session, chat, shown, viewer_employee_id=None)


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


def send_client_message(
    *, client_id: int, text: str, client_msg_id: str, attachment_id: int | None = None
) -> int:
    """Store the client's message and announce it; returns the message id."""
    text = check_text(text, may_be_empty=bool(attachment_id))
    client_msg_id = check_client_msg_id(client_msg_id)

    def write(work: UnitOfWork) -> int:
        client = access_client(work.session, client_id)
        chat = ensure_chat(work.session, client)
        if (found := _existing(work.session, chat.id or 0, client_msg_id)) is not None:
            return found.id or 0
        file_id = claim_staged(work.session, chat, attachment_id)
        now = utcnow()
        if chat.dialog_state == DialogState.closed:
            # A new dialog in the same chat (M10); the basic scenario assigns S4 (B8).
            chat.dialog_state = DialogState.open
            chat.dialog_started_at = now
            assign_default_responsible(work, chat)
            touch(work, chat)
        chat.consent_pending = False
        chat.last_message_at = chat.last_client_message_at = now
        chat.inactivity_due_at = None  # the client answered (B9)
        message = Message(
            author_kind=AuthorKind.client, text=text, client_msg_id=client_msg_id, attachment_id=file_id
        )
        message_id = add_message(work, chat, message)
        bot.free_text(work, chat, client)  # typed while the bot asks: «Другой вопрос» (B7)
        return message_id

    return _store_once(client_msg_id, _client_chat_id(client_id), write)


def send_employee_message(
    *,
    employee_id: int,
    chat_id: int,
    text: str,
    client_msg_id: str,
    attachment_id: int | None = None,
    link_kind: str = "",
    link_project_id: int | None = None,
) -> int:
    """An employee's message, optionally with one file and one deep link (M2, M5)."""
    text = check_text(text, may_be_empty=bool(attachment_id or link_kind))
    client_msg_id = check_client_msg_id(client_msg_id)

    def write(work: UnitOfWork) -> int:
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        employee = require_employee(work.session, employee_id, Permission.chat_send)
        if (found := _existing(work.session, chat_id, client_msg_id)) is not None:
            return found.id or 0
        link, project_id = (
            check_deep_link(work.session, link_kind, link_project_id) if link_kind else (None, None)
        )
        message = Message(
            author_kind=AuthorKind.employee,
            employee_id=employee.id,
            text=text,
            client_msg_id=client_msg_id,
            attachment_id=claim_staged(work.session, chat, attachment_id),
            deep_link_kind=link,
            deep_link_project_id=project_id,
        )
        chat.last_message_at = chat.last_employee_message_at = utcnow()
        bot.schedule_inactivity(work.session, chat)
        return add_message(work, chat, message)

    return _store_once(client_msg_id, lambda _session: chat_id, write)


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
    work.announce("chat.message_changed", {"chat_id": chat.id, "message_id": message.id})


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


class CloseReason:
    resolved = "resolved"  # «Вопрос решен»
    no_reply = "no_reply"  # «Пользователь не ответил»


def closing_text(settings: BotSettings | None, reason: str) -> str:
    """The S10 text, or a sensible default until the bot settings are filled in."""
    configured = (
        (settings.resolved_text if reason == CloseReason.resolved else settings.no_reply_text)
        if settings
        else ""
    )
    return configured.strip() or t(f"close.default.{reason}")


def close_dialog(*, employee_id: int, chat_id: int, reason: str) -> int:
    """«Завершить диалог» (M9): the client gets the closing text from the responsible; returns its id."""
    if reason not in (CloseReason.resolved, CloseReason.no_reply):
        raise ServiceError(t("error.not_found"))
    with unit_of_work() as work:
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        require_employee(work.session, employee_id, Permission.chat_send)
        if chat.dialog_state == DialogState.closed:
            raise ServiceError(t("error.dialog_closed"))
        settings = work.session.exec(select(BotSettings)).first()
        now = utcnow()
        chat.dialog_state, chat.inactivity_due_at = DialogState.closed, None
        chat.last_message_at = chat.last_employee_message_at = now
        work.session.add(
            ChatChange(
                chat_id=chat.id or 0,
                actor_kind=AuthorKind.employee,
                employee_id=employee_id,
                field="dialog",
                old_value=t("dialog.open"),
                new_value=t("dialog.closed"),
                note=t(f"close.{reason}"),
            )
        )
        touch(work, chat)
        # Sent in the name of the responsible employee (M9), or the closer if none is set.
        author = chat.responsible_id or employee_id
        return add_message(
            work,
            chat,
            Message(author_kind=AuthorKind.employee, employee_id=author, text=closing_text(settings, reason)),
        )


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
        chat_id = session.exec(
            select(Chat.id).where(Chat.client_id == access_client(session, client_id).id)
        ).first()
        return unread_counts(session, chat_id).by_client if chat_id else 0
