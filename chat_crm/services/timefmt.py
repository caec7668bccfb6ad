"""Times are stored in UTC and shown in the partner's zone."""

from __future__ import annotations

from datetime import datetime

from chat_crm.config import get_settings


def local(dt: datetime) -> datetime:
    return dt.astimezone(get_settings().zone)


def format_datetime(dt: datetime | None) -> str:
    return local(dt).strftime("%d.%m.%Y %H:%M") if dt else "—"


def format_time(dt: datetime | None) -> str:
    return local(dt).strftime("%H:%M") if dt else ""
