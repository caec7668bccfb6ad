"""Times are stored in UTC and shown in the partner's zone, in Russian (Babel)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import format_date

from chat_crm.config import get_settings
from chat_crm.models.base import utcnow
from chat_crm.texts import t

LOCALE = Locale("ru")


def local(dt: datetime) -> datetime:
    return dt.astimezone(get_settings().zone)


def format_datetime(dt: datetime | None) -> str:
    return local(dt).strftime("%d.%m.%Y %H:%M") if dt else "—"


def format_time(dt: datetime | None) -> str:
    return local(dt).strftime("%H:%M") if dt else ""


def local_day(dt: datetime) -> date:
    """The calendar day of ``dt`` in the partner's zone: what a date separator groups by."""
    return local(dt).date()


def today() -> date:
    return local(utcnow()).date()


def day_label(day: date, now: date | None = None) -> str:
    """«Сегодня», «Вчера», «12 ноября», or «12 ноября 2025» for another year (P3)."""
    now = now or today()
    if day == now:
        return t("day.today")
    if day == now - timedelta(days=1):
        return t("day.yesterday")
    pattern = "d MMMM" if day.year == now.year else "d MMMM y"
    return format_date(day, pattern, locale=LOCALE)


def plural(count: int, forms: tuple[str, str, str]) -> str:
    """``forms`` for one, few and many: plural(2, ("день", "дня", "дней")) == "2 дня"."""
    form = LOCALE.plural_form(abs(count))
    word = forms[0] if form == "one" else forms[1] if form == "few" else forms[2]
    return f"{count} {word}"
