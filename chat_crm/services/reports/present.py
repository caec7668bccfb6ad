"""The reports as a person reads them: Russian durations («1 ч 5 мин»), numbers and dates
with Babel, one table per chart (the same rows the .xlsx export writes) and the chart's points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from chat_crm.services.reports.breakdowns import Slice
from chat_crm.services.reports.load import EmployeeLoad
from chat_crm.services.reports.timings import TimingReport
from chat_crm.services.reports.volume import DayVolume
from chat_crm.services.timefmt import LOCALE, plural
from chat_crm.texts import t

DAY_FORMS = ("день", "дня", "дней")


@dataclass
class ReportTable:
    """One section: its table (display text), what its export writes, and its chart's points."""

    key: str = ""
    title: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    cells: list[list[Any]] = field(default_factory=list)  # numbers as numbers, days as dates
    chart: list[dict[str, Any]] = field(default_factory=list)
    empty: bool = True


def number(value: int) -> str:
    return format_decimal(value, locale=LOCALE)


def day_text(day: date) -> str:
    return format_date(day, "dd.MM.yyyy", locale=LOCALE)


def axis_day(day: date) -> str:
    return format_date(day, "d MMM", locale=LOCALE)


def duration(seconds: float) -> str:
    """«45 с», «12 мин», «1 ч 5 мин», «2 дня 3 ч»."""
    whole = round(seconds)
    if whole < 60:
        return t("reports.dur_seconds", n=whole)
    minutes = (whole + 30) // 60  # half up, on whole seconds (SQLite's julianday is a float)
    if minutes < 60:
        return t("reports.dur_minutes", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return t("reports.dur_hours", h=hours)
        return t("reports.dur_hours_minutes", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return t("reports.dur_days_hours", days=plural(days, DAY_FORMS), h=hours)


def _table(key: str, headers: list[str], cells: list[list[Any]], show: Callable[[Any], str]) -> ReportTable:
    return ReportTable(
        key=key,
        title=t(f"reports.s_{key}"),
        headers=headers,
        rows=[[show(value) for value in row] for row in cells],
        cells=cells,
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(value)
    if isinstance(value, date):
        return day_text(value)
    return str(value)


def volume_table(days: list[DayVolume]) -> ReportTable:
    headers = [t(f"reports.h_{h}") for h in ("day", "new_chats", "messages", "from_clients", "from_staff")]
    cells = [[d.day, d.chats, d.messages, d.client_messages, d.staff_messages] for d in days]
    table = _table("volume", headers, cells, _show)
    table.chart = [{"day": axis_day(d.day), "chats": d.chats, "messages": d.messages} for d in days]
    table.empty = not any(d.chats or d.messages for d in days)
    return table


def timing_table(key: str, report: TimingReport) -> ReportTable:
    headers = [t(f"reports.h_{h}") for h in ("day", "dialogs", "median", "p90")]
    cells: list[list[Any]] = []
    if report.overall is not None:
        o = report.overall
        cells.append([t("reports.whole_period"), o.count, duration(o.median), duration(o.p90)])
    cells += [[day, x.count, duration(x.median), duration(x.p90)] for day, x in report.by_day]
    table = _table(key, headers, cells, _show)
    table.chart = [
        {"day": axis_day(day), "median": round(x.median / 60, 1), "p90": round(x.p90 / 60, 1)}
        for day, x in report.by_day
    ]
    table.empty = report.overall is None
    return table


def load_table(rows: list[EmployeeLoad]) -> ReportTable:
    headers = [t("reports.h_employee"), t("reports.h_open_dialogs")]
    cells: list[list[Any]] = [[r.name or t("reports.nobody"), r.open_dialogs] for r in rows]
    table = _table("load", headers, cells, _show)
    table.chart = [{"name": name, "count": n} for name, n in cells]
    table.empty = not rows
    return table


def _slice_label(dimension: str, piece: Slice) -> str:
    if dimension in ("topic", "channel"):
        return t(f"{dimension}.{piece.key}") if piece.key else t("reports.no_topic")
    if not piece.key:
        return t("reports.no_project") if dimension == "project" else t("reports.nobody")
    return piece.label


def breakdown_table(dimension: str, pieces: list[Slice]) -> ReportTable:
    head = "employee" if dimension == "employee" else dimension
    headers = [t(f"reports.h_{head}"), t("reports.h_dialogs")]
    cells: list[list[Any]] = [[_slice_label(dimension, p), p.dialogs] for p in pieces]
    table = _table(dimension, headers, cells, _show)
    table.chart = [{"name": name, "count": n} for name, n in cells]
    table.empty = not pieces
    return table
