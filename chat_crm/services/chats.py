"""The chat list and the chat card, as the CRM shows them (L1–L2, C1–C4)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.db import UnitOfWork, read_session
from chat_crm.models import (
    AuthorKind,
    Building,
    Chat,
    ChatChange,
    Client,
    ClientUnit,
    Department,
    DialogState,
    Employee,
    Message,
    Project,
    Unit,
    utcnow,
)
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services.access import access_chat_as_employee
from chat_crm.services.inbox import ChatPage, ChatRow, list_page
from chat_crm.services.list_query import ListView
from chat_crm.services.timefmt import format_datetime
from chat_crm.texts import t

PAGE_SIZE = 50
__all__ = ["ChatPage", "ChatRow", "list_chats"]


def ensure_chat(session: Session, client: Client) -> Chat:
    """The client's one chat (M10), created on first need."""
    chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
    if chat is not None:
        return chat
    last = session.exec(select(func.max(Chat.number))).one()
    now = utcnow()
    chat = Chat(
        number=(last or 0) + 1,
        client_id=client.id or 0,
        channel=client.channel,
        created_at=now,
        updated_at=now,
    )
    session.add(chat)
    session.flush()
    return chat


def unread_condition(*, written_by_client: bool) -> sa.ColumnElement[bool]:
    """M11, the one definition of "unread": a message the other side has not read yet.

    ``written_by_client``: the client's messages not read by any employee (L6, L7);
    otherwise the staff's and the bot's messages not read by the client (N4).
    """
    author = col(Message.author_kind) == AuthorKind.client
    return sa.and_(
        author if written_by_client else sa.not_(author),
        col(Message.read_at).is_(None),
        col(Message.deleted_at).is_(None),
    )


def unread_client_messages():  # type: ignore[no-untyped-def]
    """Correlated count of a chat's client messages no employee has read, for the list."""
    return (
        select(func.count(col(Message.id)))
        .where(Message.chat_id == Chat.id, unread_condition(written_by_client=True))
        .correlate(Chat)
        .scalar_subquery()
    )


def topic_label(topic: str | None) -> str:
    return t(f"topic.{topic}") if topic else t("dash")


def client_display_name(client: Client | None) -> str:
    if client is None:
        return t("dash")
    if not client.is_authorized:
        return f"{t('app.anonymous')} #{client.id}"
    return client.full_name


def list_chats(
    *,
    employee_id: int,
    search: str = "",
    only_unread: bool = False,
    page: int = 1,
    view: ListView | None = None,
) -> ChatPage:
    """One page of chats, newest activity first; search by number or ФИО (L2), or any ``view`` (L3)."""
    if view is None:
        view = ListView(tab="new" if only_unread else "all", search=search, page=page)
    return list_page(employee_id=employee_id, view=view)


@dataclass(frozen=True)
class ChatCard:
    id: int
    number: int
    created: str
    updated: str
    channel: str
    client_authorized: bool
    client_name: str
    client_phone: str
    unit: str
    unit_status: str
    topic: str
    department: str
    responsible: str
    comment: str
    dialog_open: bool


def unit_caption(session: Session, unit_id: int | None) -> tuple[str, int | None]:
    if unit_id is None:
        return t("dash"), None
    row = session.exec(
        select(Unit, Building, Project)
        .join(Building, col(Building.id) == Unit.building_id)
        .join(Project, col(Project.id) == Building.project_id)
        .where(Unit.id == unit_id)
    ).first()
    if row is None:
        return t("dash"), None
    unit, building, project = row
    return f"{project.name}, {building.name}, №{unit.number}", unit.id


def chat_card(*, employee_id: int, chat_id: int) -> ChatCard:
    with read_session() as session:
        chat = access_chat_as_employee(session, employee_id, chat_id)
        client = session.get(Client, chat.client_id)
        department = session.get(Department, chat.department_id) if chat.department_id else None
        responsible = session.get(Employee, chat.responsible_id) if chat.responsible_id else None
        caption, unit_id = unit_caption(session, chat.unit_id)
        link = None
        if unit_id is not None:
            link = session.exec(
                select(ClientUnit).where(
                    ClientUnit.client_id == chat.client_id, ClientUnit.unit_id == unit_id
                )
            ).first()
        return ChatCard(
            id=chat.id or 0,
            number=chat.number,
            created=format_datetime(chat.created_at),
            updated=format_datetime(chat.updated_at),
            channel=t(f"channel.{chat.channel}"),
            client_authorized=bool(client and client.is_authorized),
            client_name=client_display_name(client),
            client_phone=client.phone if client else "",
            unit=caption,
            unit_status=t(f"status.{link.status}") if link else t("dash"),
            topic=topic_label(chat.topic),
            department=department.name if department else t("dash"),
            responsible=responsible.full_name if responsible else t("dash"),
            comment=chat.comment,
            dialog_open=chat.dialog_state != DialogState.closed,
        )


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    when: str
    who: str
    what: str
    old: str
    new: str
    note: str


def _actor_name(actor_kind: AuthorKind, client_name: str) -> str:
    """Who made a change that no employee made: the client, «Чат-бот» or «Система»."""
    if actor_kind == AuthorKind.client:
        return client_name
    return t(f"author.{'bot' if actor_kind == AuthorKind.bot else 'system'}")


def chat_history(*, employee_id: int, chat_id: int) -> list[HistoryEntry]:
    """«История изменений» in order, each with who made it (C4)."""
    with read_session() as session:
        chat = access_chat_as_employee(session, employee_id, chat_id)
        client_name = client_display_name(session.get(Client, chat.client_id))
        rows = session.exec(
            select(ChatChange, Employee.full_name)
            .outerjoin(Employee, col(Employee.id) == ChatChange.employee_id)
            .where(ChatChange.chat_id == chat_id)
            .order_by(col(ChatChange.created_at), col(ChatChange.id))
        ).all()
    return [
        HistoryEntry(
            id=change.id or 0,
            when=format_datetime(change.created_at),
            who=who or _actor_name(change.actor_kind, client_name),
            what=t(f"field.{change.field}"),
            old=change.old_value or t("dash"),
            new=change.new_value or t("dash"),
            note=change.note,
        )
        for change, who in rows
    ]


def touch(work: UnitOfWork, chat: Chat) -> None:
    """Mark the chat changed and tell every screen showing it."""
    chat.updated_at = utcnow()
    work.session.add(chat)
    work.announce(ChatEvent(EventTopic.changed, chat_id=chat.id or 0))


def add_message(work: UnitOfWork, chat: Chat, message: Message) -> int:
    """Insert a message into the chat and announce it after commit.

    Only "chat.message" goes out: screens append the new message. A change of the
    chat's fields (an assignment, a close) announces "chat.changed" itself.
    """
    message.chat_id = chat.id or 0
    message.created_at = chat.last_message_at or utcnow()
    chat.updated_at = message.created_at
    work.session.add(chat)
    work.session.add(message)
    work.session.flush()
    work.announce(ChatEvent(EventTopic.message, chat_id=chat.id or 0, message_id=message.id or 0))
    return message.id or 0
