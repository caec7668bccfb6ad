"""The chat card's «Клиент» and «Управление» (C2, C3), its history (C4) and «Назначить на меня» (P10).

Reading the card needs «Поддержка: Чат». Changing it needs «Чат: Отправка сообщений» too:
the «Оператор» who may only read a chat reads its management block as well, and nobody
hands a chat to someone who cannot answer it (``assignment.may_answer``). Every field is
checked here, whatever the browser sent; a refusal names its field.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import AuthorKind, Chat, Client, ClientUnit, Department, Employee, Topic
from chat_crm.services.access import Permission, access_chat_as_employee, has_permission
from chat_crm.services.assignment import assign_responsible, eligible_employees, may_answer
from chat_crm.services.bot import client_units
from chat_crm.services.chats import topic_label, touch, unit_caption
from chat_crm.services.errors import Forbidden, ServiceError
from chat_crm.services.history import record_change
from chat_crm.services.settings import Option
from chat_crm.texts import t

COMMENT_LIMIT: int = Chat.__table__.c.comment.type.length  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ClientUnitView:
    caption: str
    status: str


@dataclass(frozen=True)
class ClientInfo:
    """«Клиент» (C2): only for an authorized client."""

    full_name: str
    phone: str
    email: str
    units: list[ClientUnitView]


@dataclass(frozen=True)
class ManagementForm:
    """The values of «Управление», as the browser's selects hold them: ids as strings, "" for none."""

    unit: str = ""
    topic: str = ""
    department: str = ""
    responsible: str = ""
    comment: str = ""


@dataclass(frozen=True)
class ChatChanges:
    """What «Сохранить» asks to change: ``None`` leaves a field as it is, "" clears it."""

    unit: str | None = None
    topic: str | None = None
    department: str | None = None
    responsible: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ManagementView:
    client: ClientInfo | None  # None for an anonymous visitor: the block is not shown
    form: ManagementForm  # what the chat holds now
    units: list[Option]  # this client's units only
    topics: list[Option]
    departments: list[Option]
    responsibles: list[Option]  # who may answer in ``form.department``
    can_edit: bool
    can_take: bool  # «Назначить на меня» is offered
    comment_limit: int = COMMENT_LIMIT


# ---- reading ------------------------------------------------------------------------------


def _client_info(session: Session, client: Client | None) -> ClientInfo | None:
    if client is None or not client.is_authorized:
        return None
    units = [
        ClientUnitView(f"{u.project}, {u.building}, {u.number}", u.status)
        for u in client_units(session, client.id or 0)
    ]
    return ClientInfo(client.full_name, client.phone, client.email, units)


def _responsible_options(session: Session, chat: Chat, department_id: int | None) -> list[Option]:
    options = [Option(str(e.id), e.full_name) for e in eligible_employees(session, department_id)]
    current = session.get(Employee, chat.responsible_id) if chat.responsible_id else None
    # A responsible set before the rule (or since deactivated) still shows as the chat's value;
    # choosing them again is refused.
    if (
        current is not None
        and department_id == chat.department_id
        and str(current.id) not in {o.value for o in options}
    ):
        options.append(Option(str(current.id), current.full_name))
    return options


def _form(chat: Chat) -> ManagementForm:
    def as_value(value: object) -> str:
        return "" if value is None else str(value)

    return ManagementForm(
        unit=as_value(chat.unit_id),
        topic=as_value(chat.topic),
        department=as_value(chat.department_id),
        responsible=as_value(chat.responsible_id),
        comment=chat.comment,
    )


def _view(session: Session, actor: Employee, chat: Chat) -> ManagementView:
    client = session.get(Client, chat.client_id)
    may_edit = has_permission(session, actor, Permission.chat_send)
    departments = session.exec(select(Department).order_by(col(Department.name))).all()
    return ManagementView(
        client=_client_info(session, client),
        form=_form(chat),
        units=[
            Option(str(u.id), f"{u.project}, {u.building}, {u.number}")
            for u in client_units(session, chat.client_id)
        ],
        topics=[Option(topic.value, topic_label(topic)) for topic in Topic],
        departments=[Option(str(d.id), d.name) for d in departments],
        responsibles=_responsible_options(session, chat, chat.department_id),
        can_edit=may_edit,
        can_take=may_edit and actor.id != chat.responsible_id,
    )


def _actor_and_chat(session: Session, employee_id: int | None, chat_id: int) -> tuple[Employee, Chat]:
    chat = access_chat_as_employee(session, employee_id, chat_id)
    actor = session.get(Employee, employee_id)
    assert actor is not None  # access_chat_as_employee checked it
    return actor, chat


def card_details(*, employee_id: int | None, chat_id: int) -> ManagementView:
    """«Клиент» and «Управление» of the card, with every list the form offers."""
    with read_session() as session:
        actor, chat = _actor_and_chat(session, employee_id, chat_id)
        return _view(session, actor, chat)


def responsible_options(*, employee_id: int | None, chat_id: int, department: str) -> list[Option]:
    """«Ответственный» after «Подразделение» changes on the form: who may answer there."""
    with read_session() as session:
        _actor, chat = _actor_and_chat(session, employee_id, chat_id)
        return _responsible_options(session, chat, _department_id(session, department))


# ---- checking -----------------------------------------------------------------------------


def _id_or_none(raw: str, message: str, field: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not raw.isdigit():
        raise ServiceError(message, field=field)
    return int(raw)


def _unit_id(session: Session, chat: Chat, raw: str) -> int | None:
    unit_id = _id_or_none(raw, t("error.unit_not_clients"), "unit")
    if unit_id is None:
        return None
    link = session.exec(
        select(ClientUnit).where(ClientUnit.client_id == chat.client_id, ClientUnit.unit_id == unit_id)
    ).first()
    if link is None:  # another client's unit, or none at all: one answer
        raise ServiceError(t("error.unit_not_clients"), field="unit")
    return unit_id


def _topic(raw: str) -> Topic | None:
    if raw.strip() == "":
        return None
    try:
        return Topic(raw.strip())
    except ValueError:
        raise ServiceError(t("error.topic_unknown"), field="topic") from None


def _department_id(session: Session, raw: str) -> int | None:
    department_id = _id_or_none(raw, t("error.department_unknown"), "department")
    if department_id is not None and session.get(Department, department_id) is None:
        raise ServiceError(t("error.department_unknown"), field="department")
    return department_id


def _responsible_id(session: Session, raw: str, department_id: int | None) -> int | None:
    employee_id = _id_or_none(raw, t("error.responsible_not_eligible"), "responsible")
    if employee_id is None:
        return None
    if department_id is None:
        raise ServiceError(t("error.responsible_needs_department"), field="responsible")
    if not may_answer(session, session.get(Employee, employee_id), department_id):
        raise ServiceError(t("error.responsible_not_eligible"), field="responsible")
    return employee_id


def _comment(raw: str) -> str:
    text = raw.strip()
    if len(text) > COMMENT_LIMIT:
        raise ServiceError(t("error.comment_too_long", limit=COMMENT_LIMIT, n=len(text)), field="comment")
    return text


@dataclass(frozen=True)
class _Target:
    """The chat's fields after the save, every one checked."""

    unit_id: int | None
    topic: Topic | None
    department_id: int | None
    responsible_id: int | None
    comment: str


def _check(session: Session, chat: Chat, changes: ChatChanges) -> _Target:
    """In the order of the form, so the first refusal is the topmost field."""
    unit_id = chat.unit_id if changes.unit is None else _unit_id(session, chat, changes.unit)
    topic = chat.topic if changes.topic is None else _topic(changes.topic)
    department_id = (
        chat.department_id if changes.department is None else _department_id(session, changes.department)
    )
    responsible_id = chat.responsible_id
    if changes.responsible is not None or department_id != chat.department_id:
        # A new department re-checks the responsible, even one the form did not touch.
        raw = changes.responsible if changes.responsible is not None else str(responsible_id or "")
        responsible_id = _responsible_id(session, raw, department_id)
    comment = chat.comment if changes.comment is None else _comment(changes.comment)
    return _Target(unit_id, topic, department_id, responsible_id, comment)


# ---- writing ------------------------------------------------------------------------------


def _record(work: UnitOfWork, chat: Chat, actor: Employee, field: str, change: tuple[str, str]) -> None:
    record_change(work, chat, field, change, actor_kind=AuthorKind.employee, actor_employee_id=actor.id)


def _apply(work: UnitOfWork, chat: Chat, actor: Employee, target: _Target) -> bool:
    """Write what differs, one history line per field; returns whether anything changed."""
    session = work.session
    before = (chat.unit_id, chat.topic, chat.department_id, chat.responsible_id, chat.comment)
    if target.unit_id != chat.unit_id:
        old, new = unit_caption(session, chat.unit_id)[0], unit_caption(session, target.unit_id)[0]
        _record(work, chat, actor, "unit", (old, new))
        chat.unit_id = target.unit_id
    if target.topic != chat.topic:
        _record(work, chat, actor, "topic", (topic_label(chat.topic), topic_label(target.topic)))
        chat.topic = target.topic
    if (target.department_id, target.responsible_id) != (chat.department_id, chat.responsible_id):
        assign_responsible(
            work,
            chat,
            department_id=target.department_id,
            employee_id=target.responsible_id,
            actor_kind=AuthorKind.employee,
            actor_employee_id=actor.id,
        )
    if target.comment != chat.comment:
        _record(work, chat, actor, "comment", (chat.comment, target.comment))
        chat.comment = target.comment
    return before != (chat.unit_id, chat.topic, chat.department_id, chat.responsible_id, chat.comment)


def _editable(session: Session, employee_id: int | None, chat_id: int) -> tuple[Employee, Chat]:
    actor, chat = _actor_and_chat(session, employee_id, chat_id)
    if not has_permission(session, actor, Permission.chat_send):
        raise Forbidden(t("card.read_only"))
    return actor, chat


def update_chat(*, employee_id: int | None, chat_id: int, changes: ChatChanges) -> ManagementView:
    """«Сохранить» (C3): check every field, write the changes and their history (C4), tell the
    other screens (``chat.changed`` after commit) and the new responsible («Уведомления»)."""
    with unit_of_work() as work:
        actor, chat = _editable(work.session, employee_id, chat_id)
        target = _check(work.session, chat, changes)
        if _apply(work, chat, actor, target):
            touch(work, chat)
            work.session.flush()
        return _view(work.session, actor, chat)


def assign_to_me(*, employee_id: int | None, chat_id: int) -> ManagementView:
    """«Назначить на меня» (P10): the actor becomes the responsible, in their own department."""
    with unit_of_work() as work:
        actor, chat = _actor_and_chat(work.session, employee_id, chat_id)
        if not may_answer(work.session, actor, actor.department_id):
            raise Forbidden(t("error.cannot_take"))
        if chat.responsible_id != actor.id or chat.department_id != actor.department_id:
            assign_responsible(
                work,
                chat,
                department_id=actor.department_id,
                employee_id=actor.id,
                actor_kind=AuthorKind.employee,
                actor_employee_id=actor.id,
            )
            touch(work, chat)
            work.session.flush()
        return _view(work.session, actor, chat)
