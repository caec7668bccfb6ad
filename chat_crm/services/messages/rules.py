"""The limits and rights of a message, each in one place (M6, M7, M8, S1)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, func, select

from chat_crm.config import get_settings
from chat_crm.models import AuthorKind, Message, utcnow
from chat_crm.services.assignment import chat_settings
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

MAX_TEXT = 4000
HISTORY_LIMIT = 50
# M7: a client may edit or delete a message for this long, and only while unread.
CLIENT_EDIT_WINDOW = timedelta(hours=1)
# The browser's idempotency key of a send (M8, P18): a UUID or hex, nothing else.
_KEY = re.compile(r"[0-9A-Za-z_-]{8,64}")
# NUL and the other C0 controls but tab and line breaks, and UTF-16 halves that are not a
# pair: none of them is text a person typed, and a lone surrogate breaks every later
# log line and JSON dump of the worker that holds it.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# How far back (in message ids) the rate limit looks: it only needs the last few
# seconds, and the bound keeps the count cheap at any table size.
_RATE_LOOKBACK_IDS = 5000


MAX_ID = 2**63 - 1  # the largest id a BIGINT holds; beyond it no row can exist


def parse_id(raw: object) -> int:
    """An id from a route or an event: a positive int in range, or 0 for «not found»."""
    if isinstance(raw, bool):
        return 0
    if isinstance(raw, str):
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 19):
            return 0
        raw = int(raw)
    return raw if isinstance(raw, int) and 0 < raw <= MAX_ID else 0


def clean_text(text: str) -> str:
    """``text`` without the characters that are never stored (NUL, controls, lone surrogates)."""
    return _NOT_TEXT.sub("", text)


def check_text(text: str, *, may_be_empty: bool = False) -> str:
    """The text to store. ``may_be_empty``: the message carries a file or a link."""
    if not isinstance(text, str):
        raise ServiceError(t("error.bad_input"), field="text")
    text = clean_text(text).strip()
    if not text and not may_be_empty:
        raise ServiceError(t("error.empty_message"), field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(t("error.message_too_long", limit=MAX_TEXT), field="text")
    return text


def check_client_msg_id(client_msg_id: str) -> str:
    """The browser-made key of a send: 8–64 letters, digits, '-' or '_' (a UUID fits)."""
    if not isinstance(client_msg_id, str) or not _KEY.fullmatch(client_msg_id.strip()):
        raise ServiceError(t("error.bad_message_key"), field="client_msg_id")
    return client_msg_id.strip()


def require_chat_shown(session: Session) -> None:
    """S1: with «Отображать на витрине» off, a client can send nothing, whatever the browser says."""
    if not chat_settings(session).show_in_storefront:
        raise ServiceError(t("error.chat_hidden"))


def check_rate(session: Session, *, chat_id: int | None = None, employee_id: int | None = None) -> None:
    """At most ``message_rate_limit`` messages per ``message_rate_window_seconds`` from one
    client (``chat_id``: the client's own messages in its chat) or one employee.

    Counted in the database, so it holds across workers and processes: the N-th newest
    message of the author must be older than the window.
    """
    settings = get_settings()
    limit, window = settings.message_rate_limit, settings.message_rate_window_seconds
    if limit <= 0:
        return
    floor = select(func.coalesce(func.max(Message.id), 0) - _RATE_LOOKBACK_IDS).scalar_subquery()
    query = select(Message.created_at).where(Message.id > floor)  # type: ignore[operator]
    if employee_id is not None:
        query = query.where(Message.employee_id == employee_id, Message.author_kind == AuthorKind.employee)
    else:
        query = query.where(Message.chat_id == chat_id, Message.author_kind == AuthorKind.client)
    nth = session.exec(query.order_by(sa.desc(Message.id)).offset(limit - 1).limit(1)).first()  # type: ignore[arg-type]
    if nth is not None and utcnow() - nth < timedelta(seconds=window):
        raise ServiceError(t("error.too_many_messages", limit=limit, seconds=round(window)), field="text")


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
