"""«Поддержка» → «Чат»: the list's rows, pages, tab counts and filter choices (L1–L7, P8).

A row carries its display strings and the facts a view filters on, so the live list can
place one changed row in memory (``live_rows.place``) without asking the database again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.db import read_session
from chat_crm.models import (
    AuthorKind,
    Building,
    Chat,
    Client,
    Department,
    DialogState,
    Employee,
    EmployeePreference,
    Message,
    Project,
    Topic,
    Unit,
)
from chat_crm.services import list_order
from chat_crm.services import list_query as lq
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.timefmt import format_datetime
from chat_crm.texts import t

PREVIEW_CHARS = 80


@dataclass(frozen=True)
class ChatRow:
    id: int
    number: int
    client_name: str
    topic: str
    project: str
    responsible: str
    channel: str
    created: str
    updated: str
    unread: int
    preview: str = ""
    # The facts a view filters and sorts on (see list_query.conditions): the live list
    # decides in memory whether a changed row belongs on a screen.
    client_id: int = 0
    client_authorized: bool = True
    name_key: str = ""
    topic_code: str = ""
    project_id: int = 0
    building_id: int = 0
    responsible_id: int = 0
    department_id: int = 0
    channel_code: str = ""
    is_open: bool = False
    created_ts: float = 0.0
    updated_ts: float = 0.0
    activity_ts: float = 0.0
    last_from_client: bool = False


@dataclass(frozen=True)
class ChatPage:
    rows: list[ChatRow]
    total: int
    page: int
    pages: int
    more: bool = False  # the view holds more than ``total`` (list_query.COUNT_CAP) chats


@dataclass(frozen=True)
class TabCounts:
    all: int = 0
    new: int = 0


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FilterChoices:
    """What the «Фильтры» selects offer."""

    topics: list[Choice] = field(default_factory=list)
    projects: list[Choice] = field(default_factory=list)
    buildings: list[Choice] = field(default_factory=list)
    responsibles: list[Choice] = field(default_factory=list)
    departments: list[Choice] = field(default_factory=list)
    channels: list[Choice] = field(default_factory=list)


def client_display_name(client_authorized: bool, full_name: str, client_id: int) -> str:
    return full_name if client_authorized else f"{t('app.anonymous')} #{client_id}"


def _last_message() -> sa.Select:  # type: ignore[type-arg]
    m = Message.__table__.c  # type: ignore[attr-defined]
    return (
        select(m.id)
        .where(m.chat_id == Chat.id, m.deleted_at.is_(None))
        .correlate(Chat)
        .order_by(m.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _row_query() -> sa.Select:  # type: ignore[type-arg]
    """A row per chat with everything it shows; the last message joined by its id."""
    last = Message.__table__.alias("last_message")  # type: ignore[attr-defined]
    return (
        select(
            Chat,
            col(Client.full_name),
            col(Client.is_authorized),
            col(Client.name_search),
            col(Employee.full_name).label("responsible_name"),
            col(Project.id).label("project_id"),
            col(Project.name).label("project_name"),
            col(Unit.building_id),
            lq.unread_count().label("unread"),
            last.c.text,
            last.c.author_kind,
            last.c.attachment_id,
        )
        .join(Client, col(Client.id) == Chat.client_id)
        .outerjoin(Employee, col(Employee.id) == Chat.responsible_id)
        .outerjoin(Unit, col(Unit.id) == Chat.unit_id)
        .outerjoin(Building, col(Building.id) == Unit.building_id)
        .outerjoin(Project, col(Project.id) == Building.project_id)
        .outerjoin(last, last.c.id == _last_message())
    )


def _preview(text: str | None, author: str | None, attachment_id: int | None) -> str:
    body = (text or "").strip() or (t("inbox.preview_file") if attachment_id else "")
    body = " ".join(body.split())
    if len(body) > PREVIEW_CHARS:
        body = body[: PREVIEW_CHARS - 1] + "…"
    if author and author != AuthorKind.client.value and body:
        body = t("inbox.preview_you") + body
    return body


def _to_row(record: sa.Row) -> ChatRow:  # type: ignore[type-arg]
    chat: Chat = record[0]
    (name, authorized, name_key, responsible, project_id, project, building_id, unread) = record[1:9]
    text, author, attachment_id = record[9:12]
    activity = chat.last_message_at or chat.created_at
    return ChatRow(
        id=chat.id or 0,
        number=chat.number,
        client_name=client_display_name(bool(authorized), name, chat.client_id),
        topic=t(f"topic.{chat.topic}") if chat.topic else t("dash"),
        project=project or t("dash"),
        responsible=responsible or t("dash"),
        channel=t(f"channel.{chat.channel}"),
        created=format_datetime(chat.created_at),
        updated=format_datetime(chat.updated_at),
        unread=int(unread or 0),
        preview=_preview(text, str(author) if author else None, attachment_id),
        client_id=chat.client_id,
        client_authorized=bool(authorized),
        name_key=name_key or "",
        topic_code=chat.topic.value if chat.topic else "",
        project_id=project_id or 0,
        building_id=building_id or 0,
        responsible_id=chat.responsible_id or 0,
        department_id=chat.department_id or 0,
        channel_code=chat.channel.value,
        is_open=chat.dialog_state != DialogState.closed,
        created_ts=chat.created_at.timestamp(),
        updated_ts=chat.updated_at.timestamp(),
        activity_ts=activity.timestamp(),
        last_from_client=str(author) == AuthorKind.client.value,
    )


def page_rows(
    session: Session, view: lq.ListView, employee_id: int, offset: int, limit: int
) -> list[ChatRow]:
    """One page in the view's order: the chat ids first (narrow), then their rows."""
    return _rows_of(session, list_order.page_ids(session, view, employee_id, offset, limit))


def _rows_of(session: Session, chosen: list[int]) -> list[ChatRow]:
    """The rows of ``chosen`` chat ids, in that order."""
    if not chosen:
        return []
    rows = {r.id: r for r in map(_to_row, session.exec(_row_query().where(col(Chat.id).in_(chosen))).all())}
    return [rows[i] for i in chosen if i in rows]


def list_page(*, employee_id: int, view: lq.ListView) -> ChatPage:
    """One page of the view (L2, L3, L7); the employee needs «Поддержка: Чат»."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_chat)
        total = list_order.count_chats(session, view, employee_id, cap=lq.COUNT_CAP)
        more = total > lq.COUNT_CAP
        total = min(total, lq.COUNT_CAP)
        pages = max(1, -(-total // lq.PAGE_SIZE))
        page = max(1, view.page) if more else min(max(1, view.page), pages)
        rows = page_rows(session, view, employee_id, (page - 1) * lq.PAGE_SIZE, lq.PAGE_SIZE)
    return ChatPage(rows=rows, total=total, page=page, pages=max(pages, page), more=more)


def _count_new(session: Session) -> int:
    m = Message.__table__.c  # type: ignore[attr-defined]
    return session.exec(select(func.count(sa.distinct(m.chat_id))).where(lq.unread_client_condition())).one()


def tab_counts(*, employee_id: int) -> TabCounts:
    """How many chats «Все» and «Новые» hold (P8)."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_chat)
        return TabCounts(all=list_order.count_all(session), new=_count_new(session))


@dataclass(frozen=True)
class ListUpdate:
    """What the live list needs about one chat after an event: read once for every list screen."""

    row: ChatRow | None = None
    new_count: int = 0


def list_update(chat_id: int) -> ListUpdate:
    """The live path's one read (no principal: each screen was authorized when it opened)."""
    with read_session() as session:
        found = session.exec(_row_query().where(Chat.id == chat_id)).first()
        return ListUpdate(row=_to_row(found) if found else None, new_count=_count_new(session))


def filter_choices(*, employee_id: int) -> FilterChoices:
    """The options of «Фильтры»: every project, building, department and employee."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_chat)
        projects = session.exec(select(Project).order_by(col(Project.name))).all()
        buildings = session.exec(
            select(Building, Project.name)
            .join(Project, col(Project.id) == Building.project_id)
            .order_by(col(Project.name), col(Building.name))
        ).all()
        employees = session.exec(
            select(Employee).where(col(Employee.is_active).is_(True)).order_by(col(Employee.full_name))
        ).all()
        departments = session.exec(select(Department).order_by(col(Department.name))).all()
    return FilterChoices(
        topics=[Choice(topic.value, t(f"topic.{topic.value}")) for topic in Topic],
        projects=[Choice(str(p.id), p.name) for p in projects],
        buildings=[Choice(str(b.id), f"{name}, {b.name}") for b, name in buildings],
        responsibles=[Choice(str(e.id), e.full_name) for e in employees],
        departments=[Choice(str(d.id), d.name) for d in departments],
        channels=[Choice(c, t(f"channel.{c}")) for c in ("android", "ios")],
    )


def hidden_columns(*, employee_id: int) -> list[str]:
    """The columns this employee hid (L4), from the database: the same on every device."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_chat)
        pref = session.get(EmployeePreference, employee_id)
        return [c for c in (pref.hidden_columns if pref else []) if c in lq.COLUMNS]


def set_hidden_columns(*, employee_id: int, columns: list[str]) -> list[str]:
    from chat_crm.db import unit_of_work

    keep = [c for c in lq.COLUMNS if c in set(columns)]
    with unit_of_work() as work:
        require_employee(work.session, employee_id, Permission.support_chat)
        pref = work.session.get(EmployeePreference, employee_id) or EmployeePreference(
            employee_id=employee_id
        )
        pref.hidden_columns = keep
        work.session.add(pref)
    return keep
