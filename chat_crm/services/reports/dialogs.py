"""What the reports need written as it happens: the current dialog's first staff reply on
the chat, and each finished dialog as a ``dialog_record``. Called by the send and close
services inside their own transaction, so a figure never disagrees with the messages."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from chat_crm.models import Chat, DialogRecord, DialogState


def note_reply(chat: Chat, now: datetime) -> None:
    """An employee wrote in ``chat``: the dialog's first reply, unless it already had one.
    A value older than the dialog's start was the previous dialog's. No statement of its own:
    the column rides on the chat's UPDATE the send writes anyway."""
    if chat.dialog_state == DialogState.closed or chat.dialog_started_at is None:
        return
    if chat.first_response_at is None or chat.first_response_at < chat.dialog_started_at:
        chat.first_response_at = now


def record_close(session: Session, chat: Chat, now: datetime) -> None:
    """The dialog of ``chat`` ends now: keep its times (call before the chat's state changes)."""
    started = chat.dialog_started_at or chat.created_at
    answered = chat.first_response_at
    session.add(
        DialogRecord(
            chat_id=chat.id or 0,
            started_at=started,
            first_response_at=answered if answered is not None and answered >= started else None,
            closed_at=now,
            responsible_id=chat.responsible_id,
        )
    )
