"""The limits and rights of a message, each in one place (M6, M7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chat_crm.models import AuthorKind, Message
from chat_crm.services.errors import ServiceError
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
