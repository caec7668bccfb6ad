"""«Экспорт» (L5): the filtered, sorted list with its visible columns, as an .xlsx file.

openpyxl's write-only mode and a server-side cursor (``yield_per``) keep memory flat
however many chats there are; the caller runs this in a thread. The file is written
under the data folder with the employee's id in its name, and served only back to that
employee (``file_for``), who still needs the right it was made with («Поддержка: Чат» for the
list, «Поддержка: Отчеты» for a report's table) when downloading it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlmodel import col, select

from chat_crm.config import get_settings
from chat_crm.db import read_session
from chat_crm.models import Building, Chat, Client, Employee, Project, Unit
from chat_crm.services import list_query as lq
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.errors import NotFound
from chat_crm.services.inbox import client_display_name
from chat_crm.services.list_order import count_chats
from chat_crm.services.timefmt import local, today
from chat_crm.texts import t

BATCH = 2000
KEEP_SECONDS = 3600  # an export waits this long for its download, then goes
WIDTHS = {"number": 9, "client": 36, "topic": 16, "project": 26, "responsible": 30, "channel": 10}
# A cell starting with one of these is a formula to Excel: such text is stored as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportFile:
    token: str
    filename: str
    rows: int


def export_dir() -> Path:
    folder = get_settings().data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_name() -> str:
    """«Чаты_2026-11-25.xlsx»: today in the partner's zone."""
    return t("inbox.export_file", day=today().isoformat())


def _records(view: lq.ListView, employee_id: int, unread: bool) -> sa.Select:  # type: ignore[type-arg]
    names = {
        lq.SortKey.client: col(Client.name_search),
        lq.SortKey.project: col(Project.name),
        lq.SortKey.responsible: col(Employee.full_name),
        lq.SortKey.labels: lq.unread_count(),
    }
    columns: list[Any] = [
        col(Chat.number),
        col(Chat.client_id),
        col(Client.full_name),
        col(Client.is_authorized),
        col(Chat.topic),
        col(Project.name),
        col(Employee.full_name),
        col(Chat.channel),
        col(Chat.created_at),
        col(Chat.updated_at),
        lq.unread_count() if unread else sa.literal(0),
    ]
    return (
        select(*columns)
        .join(Client, col(Client.id) == Chat.client_id)
        .outerjoin(Employee, col(Employee.id) == Chat.responsible_id)
        .outerjoin(Unit, col(Unit.id) == Chat.unit_id)
        .outerjoin(Building, col(Building.id) == Unit.building_id)
        .outerjoin(Project, col(Project.id) == Building.project_id)
        .where(*lq.conditions(view, employee_id))
        .order_by(*lq.order_by(view, names))
    )


def _text(ws: WriteOnlyWorksheet, value: str) -> Any:
    """Text as text: a leading ``=``, ``+``, ``-``, ``@``, tab or CR never makes a formula."""
    if value.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _when(ws: WriteOnlyWorksheet, moment: datetime | None) -> Any:
    if moment is None:
        return None
    cell = WriteOnlyCell(ws, value=local(moment).replace(tzinfo=None))
    cell.number_format = "DD.MM.YYYY HH:MM"
    return cell


def _any(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A cell of ``write_table``: text stays text, a day is a real date."""
    if isinstance(value, str):
        return _text(ws, value)
    if isinstance(value, datetime):
        return _when(ws, value)
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "DD.MM.YYYY"
        return cell
    return value


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str


def _new_token(employee_id: int) -> str:
    _sweep()
    return f"{employee_id}-{secrets.token_urlsafe(16)}"


def _save(workbook: Workbook, token: str, *, filename: str, needs: Permission) -> None:
    """The file, and beside it its name and the right a download needs (checked again then)."""
    workbook.save(export_dir() / f"{token}.xlsx")
    meta = {"filename": filename, "permission": needs.value}
    (export_dir() / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))


def write_table(
    *,
    employee_id: int,
    sheet: str,
    headers: list[str],
    rows: list[list[Any]],
    filename: str,
    needs: Permission,
) -> ExportFile:
    """A small ready table (a report's, P14) as an .xlsx that ``/exports/<token>`` serves back to
    ``employee_id`` only, while they still hold ``needs``. The caller has checked it already."""
    token = _new_token(employee_id)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet[:31])
    ws.append([_text(ws, header) for header in headers])
    for row in rows:
        ws.append([_any(ws, value) for value in row])
    _save(workbook, token, filename=filename, needs=needs)
    return ExportFile(token=token, filename=filename, rows=len(rows))


def _cells(ws: WriteOnlyWorksheet, record: sa.Row, columns: list[str]) -> list[Any]:  # type: ignore[type-arg]
    number, client_id, name, authorized, topic, project, responsible, channel, created, updated = record[:10]
    unread = record[10]
    values: dict[str, Any] = {
        "number": number,
        "client": _text(ws, client_display_name(bool(authorized), name or "", client_id)),
        "topic": t(f"topic.{topic}") if topic else "",
        "project": _text(ws, project or ""),
        "responsible": _text(ws, responsible or ""),
        "channel": t(f"channel.{channel}"),
        "created": _when(ws, created),
        "updated": _when(ws, updated),
        "labels": int(unread or 0),
    }
    return [values[c] for c in columns]


def _stream(view: lq.ListView, employee_id: int, unread: bool) -> Iterator[sa.Row]:  # type: ignore[type-arg]
    with read_session() as session:
        result = (
            session.connection()
            .execution_options(yield_per=BATCH)
            .execute(_records(view, employee_id, unread))
        )
        yield from result


def export_chats(
    *, employee_id: int, view: lq.ListView, columns: list[str], on_progress: Progress | None = None
) -> ExportFile:
    """Write the view's chats (every page) with ``columns`` to a new file; needs «Поддержка: Чат»."""
    columns = [c for c in lq.COLUMNS if c in set(columns)] or list(lq.COLUMNS)
    view = lq.ListView(**{**view.__dict__, "page": 1})
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_chat)
        total = count_chats(session, view, employee_id)
    token = _new_token(employee_id)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(t("inbox.export_sheet"))
    for index, column in enumerate(columns):
        ws.column_dimensions[chr(ord("A") + index)].width = WIDTHS.get(column, 18)
    ws.append([t(f"list.col_{c}") for c in columns])
    written = 0
    for record in _stream(view, employee_id, "labels" in columns):
        ws.append(_cells(ws, record, columns))
        written += 1
        if on_progress is not None and written % BATCH == 0:
            on_progress(written, total)
    name = file_name()
    _save(workbook, token, filename=name, needs=Permission.support_chat)
    if on_progress is not None:
        on_progress(written, total)
    return ExportFile(token=token, filename=name, rows=written)


def file_for(*, employee_id: int, token: str) -> Download:
    """The export ``token`` if it is this employee's and they still hold the right it needs."""
    owner, _, rest = token.partition("-")
    well_formed = rest.replace("_", "").replace("-", "").isalnum()
    path, meta_path = export_dir() / f"{token}.xlsx", export_dir() / f"{token}.json"
    if owner != str(employee_id) or not well_formed or not path.is_file() or not meta_path.is_file():
        raise NotFound(t("error.not_found"))
    meta = json.loads(meta_path.read_text())
    with read_session() as session:
        require_employee(session, employee_id, Permission(meta["permission"]))
    return Download(path=path, filename=meta["filename"])


def _sweep() -> None:
    """Forget exports nobody downloaded in time."""
    cutoff = time.time() - KEEP_SECONDS
    for old in [*export_dir().glob("*.xlsx"), *export_dir().glob("*.json")]:
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
