"""What the client's app counts and announces: unread counters (N4), the banner (N3), and the
«Уведомления» screen (N5).

The counters are one number, the staff's and the bot's messages the client has not read,
read with one query from the one definition of "unread" (``chats.unread_condition``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Chat, ClientNotification, Message, utcnow
from chat_crm.services.access import access_client
from chat_crm.services.chats import unread_condition
from chat_crm.services.messages.views import MessageView
from chat_crm.services.timefmt import format_datetime
from chat_crm.texts import t

PREVIEW_CHARS = 120
NOTIFICATIONS_SHOWN = 50


def unread_count(*, client_id: int) -> int:
    """N4: what the staff (and the bot) wrote that this client has not read. One query."""
    with read_session() as session:
        query = (
            select(sa.func.count(col(Message.id)))
            .join(Chat, col(Chat.id) == col(Message.chat_id))
            .where(Chat.client_id == client_id, unread_condition(written_by_client=False))
        )
        return session.exec(query).one()


def unseen_notifications(*, client_id: int) -> int:
    """Entries of «Уведомления» the client has not looked at yet (the bottom menu's mark)."""
    with read_session() as session:
        query = select(sa.func.count(col(ClientNotification.id))).where(
            ClientNotification.client_id == client_id, col(ClientNotification.read_at).is_(None)
        )
        return session.exec(query).one()


@dataclass(frozen=True)
class NotificationView:
    id: int
    text: str
    when: str
    unseen: bool


def notifications(*, client_id: int, limit: int = NOTIFICATIONS_SHOWN) -> list[NotificationView]:
    """The «Уведомления» screen: newest first, with their dates."""
    with read_session() as session:
        access_client(session, client_id)
        rows = session.exec(
            select(ClientNotification)
            .where(ClientNotification.client_id == client_id)
            .order_by(sa.desc(col(ClientNotification.id)))
            .limit(limit)
        ).all()
        return [
            NotificationView(
                id=n.id or 0, text=n.text, when=format_datetime(n.created_at), unseen=n.read_at is None
            )
            for n in rows
        ]


def mark_notifications_seen(*, client_id: int) -> int:
    """The client opened «Уведомления»: its mark goes. Returns how many were new."""
    with unit_of_work() as work:
        access_client(work.session, client_id)
        done = work.session.execute(
            sa.update(ClientNotification)
            .where(col(ClientNotification.client_id) == client_id, col(ClientNotification.read_at).is_(None))
            .values(read_at=utcnow())
        )
        return done.rowcount or 0


@dataclass(frozen=True)
class Banner:
    """The in-app push (N3): who wrote and the start of what. Plain text, shown as text."""

    key: str  # tells one banner from the next, so the page restarts its timer
    title: str
    text: str


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def message_banner(view: MessageView) -> Banner:
    """The banner of a new message from the staff or the bot."""
    if view.text.strip():
        text = _preview(view.text)
    elif view.file_name:
        text = "📎 " + _preview(view.file_name)
    else:
        text = view.link_title or t("banner.new_message")
    title = view.author_name or t("banner.staff")
    return Banner(key=f"m{view.id}", title=title, text=text)


def newest_notification_banner(*, client_id: int) -> Banner | None:
    """The banner of the reminder that just came (N5), if the client has not seen it yet."""
    with read_session() as session:
        row = session.exec(
            select(ClientNotification)
            .where(ClientNotification.client_id == client_id, col(ClientNotification.read_at).is_(None))
            .order_by(sa.desc(col(ClientNotification.id)))
        ).first()
        if row is None:
            return None
        return Banner(key=f"n{row.id}", title=t("reminder.title"), text=_preview(row.text))
