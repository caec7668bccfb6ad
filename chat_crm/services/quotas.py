"""Upload quotas (issue 9): how much one uploader may store in a sliding window.

The database is the counter: the rows themselves carry their time, so a quota holds
across workers and restarts with nothing else to keep in step. The first half is a
generic sliding-window check over any table with a timestamp (``Limit``,
``window_usage``, ``check``); the second applies it to attachments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.models import Attachment, utcnow
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t


# ---- a sliding window over rows -------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """At most ``count`` rows and ``amount`` units (bytes) per ``window``; 0 means no bound."""

    window: timedelta
    count: int = 0
    amount: int = 0


@dataclass(frozen=True)
class Usage:
    """What the window holds now; ``oldest`` is the first row to leave it."""

    count: int
    amount: int
    oldest: datetime | None
    since: datetime


def window_usage(
    session: Session, created_at: Any, *where: Any, window: timedelta, amount: Any = None
) -> Usage:
    """Rows (and the sum of ``amount``) whose ``created_at`` falls in the last ``window``.

    ``created_at`` and ``amount`` are columns of one table, ``where`` its filters:
    ``window_usage(session, Message.created_at, Message.chat_id == 7, window=timedelta(seconds=10))``.
    """
    since = utcnow() - window
    total = func.coalesce(func.sum(amount), 0) if amount is not None else func.count()
    query = select(func.count(), total, func.min(created_at)).where(created_at >= since, *where)
    count, summed, oldest = session.exec(query).one()
    return Usage(count=int(count or 0), amount=int(summed or 0), oldest=oldest, since=since)


def wait_minutes(limit: Limit, usage: Usage) -> int:
    """Whole minutes until the oldest row leaves the window (at least 1)."""
    if usage.oldest is None:
        return max(1, math.ceil(limit.window.total_seconds() / 60))
    free_at = usage.oldest + limit.window
    return max(1, math.ceil((free_at - utcnow()).total_seconds() / 60))


def check(limit: Limit, usage: Usage, message_key: str, *, adding: int = 0, field: str = "") -> None:
    """Refuse (ServiceError, Russian ``message_key`` with ``{minutes}``) one more row of ``adding``."""
    over_count = limit.count and usage.count + 1 > limit.count
    over_amount = limit.amount and usage.amount + adding > limit.amount
    if over_count or over_amount:
        raise ServiceError(t(message_key, minutes=wait_minutes(limit, usage)), field=field)


# ---- uploads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uploader:
    """A client (their chat, no employee) or an employee, across all their sessions."""

    chat_id: int
    employee_id: int | None = None

    def filters(self) -> tuple[Any, ...]:
        if self.employee_id is None:
            return (
                col(Attachment.chat_id) == self.chat_id,
                col(Attachment.uploaded_by_employee_id).is_(None),
            )
        return (col(Attachment.uploaded_by_employee_id) == self.employee_id,)


def upload_limit() -> Limit:
    settings = get_settings()
    return Limit(
        window=timedelta(seconds=settings.upload_quota_window_seconds),
        count=settings.upload_quota_files,
        amount=settings.upload_quota_bytes,
    )


@dataclass(frozen=True)
class UploadCheck:
    """One upload's quota: read once before the bytes are copied, checked again with the size."""

    usage: Usage
    staged_bytes: int

    def check(self, size: int) -> None:
        check(upload_limit(), self.usage, "error.upload_quota", adding=size, field="file")
        cap = get_settings().staged_upload_max_total_bytes
        if cap and self.staged_bytes + size > cap:
            raise ServiceError(t("error.upload_busy"), field="file")


def begin_upload(session: Session, uploader: Uploader) -> UploadCheck:
    """The uploader's window and everyone's unsent bytes; refuses at once when already full.

    The total of staged (unsent) files is bounded too: anonymous visitors are new clients
    each time, so only a ceiling over all of them keeps the disk from filling.
    """
    usage = window_usage(
        session,
        col(Attachment.created_at),
        *uploader.filters(),
        window=upload_limit().window,
        amount=col(Attachment.size_bytes),
    )
    staged = session.exec(
        select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
            col(Attachment.staged_until).is_not(None)
        )
    ).one()
    upload = UploadCheck(usage=usage, staged_bytes=int(staged or 0))
    upload.check(1)
    return upload
