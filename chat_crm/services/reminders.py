"""The client's 24-hour reminder (N5): a durable timer per unanswered stretch of a chat.

The first employee message the client has not answered starts a ``client_reminder`` timer
(its due time lives in the database, so a restart or a kill -9 loses nothing); a client
message cancels it. ``fire_due`` claims each due timer with one conditional UPDATE, so
several workers running it at once fire it once, and writes the «Уведомления» entry (and
the push, where the outbox exists) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Chat, ClientNotification, PushSubscription, Timer, utcnow
from chat_crm.models.base import UTCDateTime
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services.outbox import enqueue_push
from chat_crm.texts import t

KIND = "client_reminder"
REMIND_AFTER = timedelta(hours=24)
BATCH = 500  # due timers taken per round; the next round takes the rest


def _pending(chat_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(col(Timer.chat_id) == chat_id, col(Timer.kind) == KIND, col(Timer.done_at).is_(None))


def on_employee_message(session: Session, chat: Chat, sender: str, text: str) -> None:
    """What an employee's message sets going for the client, in the message's transaction:
    the push (N3), and the reminder, unless one already counts from an earlier unanswered
    message (the 24 hours run from the first one). One statement each: this is the send's path."""
    _push(
        session, chat.client_id, title=sender or t("banner.staff"), body=_preview(text), tag=f"chat-{chat.id}"
    )
    timers = Timer.__table__  # type: ignore[attr-defined]
    pending = sa.exists().where(_pending(chat.id or 0))
    session.execute(
        sa.insert(timers).from_select(
            ["kind", "chat_id", "due_at", "created_at"],
            sa.select(
                sa.literal(KIND),
                sa.literal(chat.id or 0),
                sa.literal(utcnow() + REMIND_AFTER, UTCDateTime()),
                sa.literal(utcnow(), UTCDateTime()),
            ).where(~pending),
        )
    )


def on_client_message(session: Session, chat: Chat, now: datetime) -> None:
    """The client answered: no reminder for what came before."""
    session.execute(sa.update(Timer).where(_pending(chat.id or 0)).values(done_at=now))


def _preview(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return (flat if len(flat) <= limit else flat[: limit - 1] + "…") or t("banner.new_message")


def _push(session: Session, client_id: int, *, title: str, body: str, tag: str) -> None:
    """A real Web Push to the phone page too (N3), if it subscribed: through the outbox, so a
    crash after the commit loses nothing. No row at all for a phone that never subscribed."""
    subscribed = sa.exists().where(col(PushSubscription.client_id) == client_id)
    enqueue_push(
        session, client_id=client_id, title=title, body=body, url="/app", tag=tag, only_if=subscribed
    )


def _fire(timer_id: int, chat_id: int, now: datetime) -> bool:
    with unit_of_work() as work:
        claimed = work.session.execute(
            sa.update(Timer)
            .where(col(Timer.id) == timer_id, col(Timer.done_at).is_(None))
            .values(done_at=now)
        )
        if claimed.rowcount != 1:  # another worker fired it, or the client answered
            return False
        chat = work.session.get(Chat, chat_id)
        if chat is None:
            return False
        text = t("reminder.text")
        work.session.add(ClientNotification(client_id=chat.client_id, chat_id=chat_id, text=text))
        _push(work.session, chat.client_id, title=t("reminder.title"), body=text, tag=f"reminder-{chat_id}")
        work.announce(ChatEvent(EventTopic.client_notification, chat_id=chat_id))
        return True


def fire_due(now: datetime | None = None) -> int:
    """Fire every reminder that came due; returns how many this call fired."""
    now = now or utcnow()
    with read_session() as session:
        due = session.exec(
            select(Timer.id, Timer.chat_id)
            .where(Timer.kind == KIND, col(Timer.done_at).is_(None), col(Timer.due_at) <= now)
            .order_by(col(Timer.due_at))
            .limit(BATCH)
        ).all()
    return sum(1 for timer_id, chat_id in due if _fire(timer_id or 0, chat_id, now))
