"""A message as the screens show it.

``load_facts`` reads messages once with everything every viewer needs; ``view_for``
then gives one viewer's own flags (mine, changeable) in memory. So a message that
reaches twenty screens is read once, not twenty times.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from chat_crm.models import Attachment, AuthorKind, Chat, Client, DialogMark, Employee, Message, Project
from chat_crm.services.attachments import size_label
from chat_crm.services.chats import client_display_name
from chat_crm.services.deeplinks import link_card
from chat_crm.services.messages.rules import client_may_change, employee_may_change
from chat_crm.services.timefmt import day_label, format_datetime, format_time, local_day
from chat_crm.texts import t

# http(s) only: a javascript: or data: link never becomes clickable (P4).
_URL = re.compile(r"https?://[^\s<>\"«»]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'"


@dataclass(frozen=True)
class TextPart:
    """A piece of a message's text; ``href`` is set when the piece is a link (P4)."""

    text: str
    href: str = ""


def text_parts(text: str) -> list[TextPart]:
    parts: list[TextPart] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        if start > position:
            parts.append(TextPart(text[position:start]))
        parts.append(TextPart(url, url))
        position = end
    if position < len(text):
        parts.append(TextPart(text[position:]))
    return parts


@dataclass(frozen=True)
class Viewer:
    """Who looks at a conversation: an employee, or (``employee_id`` None) the chat's client."""

    employee_id: int | None = None

    @property
    def is_client(self) -> bool:
        return self.employee_id is None


@dataclass(frozen=True)
class MessageView:
    """A message as one viewer sees it: ``is_mine`` and ``can_change`` are that viewer's (M6, M7)."""

    id: int
    author_kind: str
    author_name: str
    author_photo: str
    is_bot: bool
    text: str
    parts: list[TextPart]
    time: str
    when: str
    day: str  # the partner-zone date, ISO: what the date separators group by
    day_break: str  # «Сегодня», «Вчера», «12 ноября» above the first message of a day (P3)
    dialog_before: str  # «Новый диалог» above the first message of a dialog (P5)
    dialog_after: str  # «Диалог завершен: …» below the closing message
    is_deleted: bool
    is_edited: bool
    is_read: bool
    is_mine: bool
    can_change: bool
    file_id: int
    file_name: str
    file_size: str
    file_is_image: bool
    link_kind: str
    link_title: str
    link_note: str
    link_image: str


@dataclass(frozen=True)
class MessageFacts:
    """What every viewer of a message shares; ``view`` has no viewer's flags yet."""

    view: MessageView
    row: Message

    @property
    def id(self) -> int:
        return self.view.id


def _by_id(session: Session, model: type, ids: set[int | None]) -> dict:  # type: ignore[type-arg]
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted))).all()}


def _authors(session: Session, chat: Chat, rows: list[Message]) -> dict[int, tuple[str, str]]:
    """Who wrote ``rows``: employee id → (name, photo); 0 → the client's name."""
    found: dict[int, tuple[str, str]] = {}
    if any(m.author_kind == AuthorKind.client for m in rows):
        found[0] = (client_display_name(session.get(Client, chat.client_id)), "")
    staff = {m.employee_id for m in rows if m.employee_id}
    if staff:
        query = select(Employee.id, Employee.full_name, Employee.photo_url).where(col(Employee.id).in_(staff))
        found.update({row[0]: (row[1], row[2]) for row in session.exec(query)})
    return found


_DIALOG_BEFORE = {DialogMark.opened}


def _neutral(
    m: Message, author: tuple[str, str], file: Attachment | None, project: Project | None
) -> MessageView:
    shown = m.deleted_at is None
    link = link_card(m.deep_link_kind, project) if shown else None
    file = file if shown else None
    mark = m.dialog_mark
    dialog_text = t(f"dialog.mark.{mark.value}") if mark else ""
    return MessageView(
        id=m.id or 0,
        author_kind=m.author_kind.value,
        author_name=author[0],
        author_photo=author[1],
        is_bot=m.author_kind == AuthorKind.bot,
        text=m.text if shown else t("message.deleted"),
        parts=text_parts(m.text) if shown else [TextPart(t("message.deleted"))],
        time=format_time(m.created_at),
        when=format_datetime(m.created_at),
        day=local_day(m.created_at).isoformat(),
        day_break="",
        dialog_before=dialog_text if mark in _DIALOG_BEFORE else "",
        dialog_after=dialog_text if mark and mark not in _DIALOG_BEFORE else "",
        is_deleted=not shown,
        is_edited=m.edited_at is not None,
        is_read=m.read_at is not None,
        is_mine=False,
        can_change=False,
        file_id=file.id if file else 0,
        file_name=file.filename if file else "",
        file_size=size_label(file.size_bytes) if file else "",
        file_is_image=bool(file and file.is_image),
        link_kind=link.kind if link else "",
        link_title=link.title if link else "",
        link_note=link.note if link else "",
        link_image=link.image if link else "",
    )


def load_facts(session: Session, chat: Chat, rows: list[Message]) -> list[MessageFacts]:
    """Everything the screens need about ``rows``, in at most four queries whatever their number."""
    if not rows:
        return []
    authors = _authors(session, chat, rows)
    files = _by_id(session, Attachment, {m.attachment_id for m in rows})
    projects = _by_id(session, Project, {m.deep_link_project_id for m in rows})
    facts = []
    for m in rows:
        if m.author_kind == AuthorKind.client:
            author = authors[0]
        else:
            author = authors.get(m.employee_id or 0, (t(f"author.{m.author_kind}"), ""))
        neutral = _neutral(m, author, files.get(m.attachment_id), projects.get(m.deep_link_project_id))
        facts.append(MessageFacts(view=neutral, row=m))
    return facts


def view_for(facts: MessageFacts, viewer: Viewer, now: datetime) -> MessageView:
    """One viewer's view, in memory: its side's messages are «mine», and what it may change."""
    m = facts.row
    if viewer.employee_id is None:
        mine, can_change = m.author_kind == AuthorKind.client, client_may_change(m, now)
    else:
        mine = m.author_kind != AuthorKind.client
        can_change = employee_may_change(m, viewer.employee_id)
    return dataclasses.replace(facts.view, is_mine=mine, can_change=can_change)


def with_day_breaks(
    previous_day: str, views: list[MessageView], today: date | None = None
) -> list[MessageView]:
    """Put a date separator (P3) above each message that starts a day after ``previous_day``."""
    marked = []
    for view in views:
        if view.day != previous_day:
            view = dataclasses.replace(view, day_break=day_label(date.fromisoformat(view.day), today))
            previous_day = view.day
        marked.append(view)
    return marked


def read_up_to(views: list[MessageView]) -> int:
    """The newest of the viewer's own messages the other side has read (M11)."""
    return max((v.id for v in views if v.is_mine and v.is_read), default=0)
