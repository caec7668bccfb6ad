"""Canned replies («Шаблоны ответов», P13): per department and personal, with placeholders.

Who sees what:
- in the composer, an employee gets their own personal templates and their department's;
- in «Поддержка» → «Настройки» → «Шаблоны ответов», a holder of «Поддержка: Настройки» also
  manages every department's templates (like the topic rules, which name any department);
- a personal template is its owner's alone: nobody else sees, edits or deletes it.

Placeholders are filled here, on the server, for a chat the acting employee may open; the
values are plain text (the composer is a textarea) and an unknown ``{…}`` stays as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Building, CannedReply, Chat, Client, Department, Employee, Project, Unit, utcnow
from chat_crm.models.canned import TITLE_LIMIT
from chat_crm.services.access import (
    Permission,
    access_chat_as_employee,
    has_permission,
    require_employee,
)
from chat_crm.services.errors import Forbidden, NotFound, ServiceError
from chat_crm.services.messages import MAX_TEXT
from chat_crm.services.settings import Option
from chat_crm.services.timefmt import format_datetime
from chat_crm.texts import t

PERSONAL = "personal"  # the scope «Личный»; a department's scope is its id, as a string
PLACEHOLDERS: tuple[str, ...] = ("имя_клиента", "номер_чата", "имя_сотрудника", "объект", "проект")
_PLACEHOLDER = re.compile(r"\{([^{}\n]{1,40})\}")
_ID = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would also take «٣»


@dataclass(frozen=True)
class CannedReplyView:
    """A line of the management list."""

    id: int
    title: str
    text: str
    scope: str  # PERSONAL or a department id
    scope_label: str  # «Личный» or «Отдел: …»
    updated: str


@dataclass(frozen=True)
class CannedChoice:
    """A template as the composer's «/» list offers it: the text already filled for the chat."""

    id: int
    title: str
    text: str
    scope_label: str


@dataclass(frozen=True)
class CannedReplyInput:
    """The form as submitted: ids travel as strings, like the browser's."""

    title: str
    text: str
    scope: str


# ---- rights -----------------------------------------------------------------------------------


def _actor(session: Session, employee_id: int | None) -> tuple[Employee, bool]:
    """The acting employee (who may use the «Чат» page) and whether they manage departments' templates."""
    employee = require_employee(session, employee_id, Permission.support_chat)
    return employee, has_permission(session, employee, Permission.support_settings)


def _visible(employee: Employee, manages: bool) -> sa.ColumnElement[bool]:
    mine = col(CannedReply.owner_id) == employee.id
    if manages:
        return sa.or_(mine, col(CannedReply.department_id).is_not(None))
    if employee.department_id is None:
        return mine
    return sa.or_(mine, col(CannedReply.department_id) == employee.department_id)


def access_canned_reply(session: Session, employee_id: int | None, reply_id: int) -> CannedReply:
    """A template the employee may change; another's personal one is «not found», like a made-up id."""
    employee, manages = _actor(session, employee_id)
    reply = session.get(CannedReply, reply_id)
    if reply is None or (reply.owner_id is not None and reply.owner_id != employee.id):
        raise NotFound(t("canned.not_found"))
    if reply.department_id is not None and not manages:
        if reply.department_id != employee.department_id:
            raise NotFound(t("canned.not_found"))
        raise Forbidden(t("canned.department_forbidden"))
    return reply


# ---- views ------------------------------------------------------------------------------------


def _department_names(session: Session) -> dict[int, str]:
    return {d.id or 0: d.name for d in session.exec(select(Department)).all()}


def _scope_label(reply: CannedReply, names: dict[int, str]) -> str:
    if reply.department_id is None:
        return t("canned.scope_personal")
    return t("canned.scope_department", name=names.get(reply.department_id, t("dash")))


def _view(reply: CannedReply, names: dict[int, str]) -> CannedReplyView:
    return CannedReplyView(
        id=reply.id or 0,
        title=reply.title,
        text=reply.text,
        scope=PERSONAL if reply.department_id is None else str(reply.department_id),
        scope_label=_scope_label(reply, names),
        updated=format_datetime(reply.updated_at),
    )


def _matches(reply: CannedReply, needle: str) -> bool:
    # casefold in Python: SQLite's LIKE folds only ASCII, and a team has tens of templates, not millions.
    return not needle or needle in reply.title.casefold() or needle in reply.text.casefold()


def _rows(session: Session, employee: Employee, manages: bool, search: str) -> list[CannedReply]:
    rows = session.exec(select(CannedReply).where(_visible(employee, manages))).all()
    needle = search.strip().casefold()
    found = [r for r in rows if _matches(r, needle)]
    return sorted(found, key=lambda r: (r.title.casefold(), r.id or 0))


def list_replies(*, employee_id: int | None, search: str = "") -> list[CannedReplyView]:
    """The management list: personal and departments' templates the employee may see, by title."""
    with read_session() as session:
        employee, manages = _actor(session, employee_id)
        names = _department_names(session)
        return [_view(r, names) for r in _rows(session, employee, manages, search)]


def scope_options(*, employee_id: int | None) -> list[Option]:
    """«Личный», then the departments the employee may write templates for."""
    with read_session() as session:
        employee, manages = _actor(session, employee_id)
        options = [Option(value=PERSONAL, label=t("canned.scope_personal"))]
        if manages:
            rows = session.exec(select(Department).order_by(col(Department.name))).all()
            options += [
                Option(value=str(d.id), label=t("canned.scope_department", name=d.name)) for d in rows
            ]
        return options


# ---- placeholders -----------------------------------------------------------------------------


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Each known ``{name}`` replaced by its value; an unknown one stays exactly as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _unit_parts(session: Session, unit_id: int | None) -> tuple[str, str]:
    """(«{объект}», «{проект}») of the chat's unit: «Корпус 1, №12» and the project's name."""
    if unit_id is None:
        return "", ""
    row = session.exec(
        select(Unit, Building, Project)
        .join(Building, col(Building.id) == Unit.building_id)
        .join(Project, col(Project.id) == Building.project_id)
        .where(Unit.id == unit_id)
    ).first()
    if row is None:
        return "", ""
    unit, building, project = row
    return t("canned.unit_value", building=building.name, number=unit.number), project.name


def placeholder_values(session: Session, employee: Employee, chat: Chat) -> dict[str, str]:
    client = session.get(Client, chat.client_id)
    if client is None or not client.is_authorized:
        client_name = t("app.anonymous")
    else:
        client_name = client.full_name
    unit, project = _unit_parts(session, chat.unit_id)
    return {
        "имя_клиента": client_name,
        "номер_чата": str(chat.number),
        "имя_сотрудника": employee.full_name,
        "объект": unit,
        "проект": project,
    }


def _choices(session: Session, employee_id: int | None, chat_id: int) -> Iterable[CannedChoice]:
    chat = access_chat_as_employee(session, employee_id, chat_id)
    employee, _manages = _actor(session, employee_id)
    values = placeholder_values(session, employee, chat)
    names = _department_names(session)
    for reply in _rows(session, employee, False, ""):
        text = fill_placeholders(reply.text, values)
        yield CannedChoice(reply.id or 0, reply.title, text, _scope_label(reply, names))


def replies_for_chat(*, employee_id: int | None, chat_id: int) -> list[CannedChoice]:
    """The composer's «/» list for one chat: personal + own department's, filled for this chat.

    Read once when the card opens; the browser filters it as the operator types.
    """
    with read_session() as session:
        return list(_choices(session, employee_id, chat_id))


def render(*, employee_id: int | None, reply_id: int, chat_id: int) -> str:
    """One template's text filled for ``chat_id``, for an employee who may use it in that chat."""
    with read_session() as session:
        for choice in _choices(session, employee_id, chat_id):
            if choice.id == reply_id:
                return choice.text
        raise NotFound(t("canned.not_found"))


# ---- changes ------------------------------------------------------------------------------------


def _check_scope(session: Session, employee: Employee, manages: bool, scope: str) -> int | None:
    """The department id of the scope, or None for «Личный»."""
    value = scope.strip()
    if value == PERSONAL:
        return None
    department = session.get(Department, int(value)) if _ID.fullmatch(value) else None
    if department is None:
        raise ServiceError(t("canned.scope_unknown"), field="scope")
    if not manages:
        raise ServiceError(t("canned.department_forbidden"), field="scope")
    return department.id


def _check_texts(data: CannedReplyInput) -> tuple[str, str]:
    title, text = data.title.strip(), data.text.strip()
    if not title:
        raise ServiceError(t("canned.title_required"), field="title")
    if len(title) > TITLE_LIMIT:
        raise ServiceError(t("canned.title_too_long", limit=TITLE_LIMIT, n=len(title)), field="title")
    if not text:
        raise ServiceError(t("canned.text_required"), field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(t("canned.text_too_long", limit=MAX_TEXT, n=len(text)), field="text")
    return title, text


def _check_unique(session: Session, reply: CannedReply, reply_id: int) -> None:
    """One title per scope: «/привет» must pick one template, not two look-alikes."""
    if reply.department_id is not None:
        scope = col(CannedReply.department_id) == reply.department_id
    else:
        scope = col(CannedReply.owner_id) == reply.owner_id
    titles = session.exec(select(CannedReply.title).where(scope, col(CannedReply.id) != reply_id)).all()
    if any(title.casefold() == reply.title.casefold() for title in titles):
        raise ServiceError(t("canned.title_taken"), field="title")


def _check(
    session: Session, employee: Employee, manages: bool, data: CannedReplyInput, reply_id: int
) -> CannedReply:
    """The submitted form as a row (not added): the texts, then the scope, then the title's uniqueness."""
    title, text = _check_texts(data)
    department_id = _check_scope(session, employee, manages, data.scope)
    owner_id = None if department_id is not None else employee.id
    reply = CannedReply(title=title, text=text, department_id=department_id, owner_id=owner_id)
    _check_unique(session, reply, reply_id)
    return reply


def create_reply(*, employee_id: int | None, data: CannedReplyInput) -> CannedReplyView:
    with unit_of_work() as work:
        session = work.session
        employee, manages = _actor(session, employee_id)
        reply = _check(session, employee, manages, data, 0)
        reply.author_id = employee.id
        session.add(reply)
        session.flush()
        return _view(reply, _department_names(session))


def update_reply(*, employee_id: int | None, reply_id: int, data: CannedReplyInput) -> CannedReplyView:
    with unit_of_work() as work:
        session = work.session
        reply = access_canned_reply(session, employee_id, reply_id)
        employee, manages = _actor(session, employee_id)
        checked = _check(session, employee, manages, data, reply_id)
        reply.title, reply.text = checked.title, checked.text
        reply.department_id, reply.owner_id = checked.department_id, checked.owner_id
        reply.updated_at = utcnow()  # author_id stays who wrote it first
        session.add(reply)
        session.flush()
        return _view(reply, _department_names(session))


def delete_reply(*, employee_id: int | None, reply_id: int) -> None:
    with unit_of_work() as work:
        reply = access_canned_reply(work.session, employee_id, reply_id)
        work.session.delete(reply)
