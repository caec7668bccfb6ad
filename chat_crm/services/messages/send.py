"""Sending: the client's and the employee's messages, and closing a dialog (M1, M2, M5, M8, M9).

Each send carries a client-generated id, unique per chat: a resend after a
network error returns the stored message instead of writing a second one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import (
    AuthorKind,
    BotSettings,
    Chat,
    ChatChange,
    DialogMark,
    DialogState,
    Message,
    utcnow,
)
from chat_crm.services import bot, reassign, reminders, staff_alerts
from chat_crm.services.access import (
    Permission,
    access_chat_as_employee,
    access_client,
    require_employee,
)
from chat_crm.services.assignment import assign_default_responsible
from chat_crm.services.attachments import claim_staged
from chat_crm.services.chats import add_message, ensure_chat, touch
from chat_crm.services.deeplinks import check_deep_link
from chat_crm.services.errors import ServiceError
from chat_crm.services.messages.rules import (
    check_client_msg_id,
    check_rate,
    check_text,
    require_chat_shown,
)
from chat_crm.services.reports import dialogs as report_dialogs
from chat_crm.texts import t


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


def check_client_may_send() -> None:
    """S1 before a client's file is even taken: with the chat off the storefront, nothing comes in."""
    with read_session() as session:
        require_chat_shown(session)


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
            return found.id or 0  # a resend: stored once, and never counted against the limit
        require_chat_shown(work.session)  # S1, whatever the browser shows or sends
        check_rate(work.session, chat_id=chat.id)
        file_id = claim_staged(work.session, chat, attachment_id)
        now = utcnow()
        opens_dialog = chat.dialog_state == DialogState.closed
        if opens_dialog:
            # A new dialog in the same chat (M10); the basic scenario assigns S4 (B8).
            chat.dialog_state = DialogState.open
            chat.dialog_started_at = now
            assign_default_responsible(work, chat)
            touch(work, chat)
        chat.consent_pending = False
        chat.last_message_at = chat.last_client_message_at = now
        chat.inactivity_due_at = None  # the client answered (B9)
        reminders.on_client_message(work.session, chat, now)  # no 24-hour reminder now (N5)
        message = Message(
            author_kind=AuthorKind.client,
            text=text,
            client_msg_id=client_msg_id,
            attachment_id=file_id,
            dialog_mark=DialogMark.opened if opens_dialog else None,
        )
        message_id = add_message(work, chat, message)
        staff_alerts.on_client_message(work, chat, text)  # the responsible's alert (N1), same transaction
        bot.free_text(work, chat, client)  # typed while the bot asks: «Другой вопрос» (B7)
        reassign.arm(work, chat, now)  # P12: the responsible has N minutes to answer
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
        # The employee first: the session keeps the row it holds, so the chat check reuses it.
        employee = require_employee(work.session, employee_id, Permission.chat_send)
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        if (found := _existing(work.session, chat_id, client_msg_id)) is not None:
            return found.id or 0
        check_rate(work.session, employee_id=employee.id)
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
        # Before the chat changes: its settings read would flush the chat twice otherwise.
        bot.schedule_inactivity(work.session, chat)
        # The client's push (N3) and 24-hour reminder (N5), in this transaction.
        reminders.on_employee_message(work.session, chat, employee.full_name, text)
        chat.last_message_at = chat.last_employee_message_at = utcnow()
        report_dialogs.note_reply(chat, chat.last_message_at)  # P14: no statement of its own
        return add_message(work, chat, message)

    return _store_once(client_msg_id, lambda _session: chat_id, write)


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
        report_dialogs.record_close(work.session, chat, now)  # P14: the dialog's times
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
            Message(
                author_kind=AuthorKind.employee,
                employee_id=author,
                text=closing_text(settings, reason),
                dialog_mark=DialogMark(reason),
            ),
        )
