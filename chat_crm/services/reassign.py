"""Reassign on silence (P12): a client left unanswered for N minutes goes to someone else.

The deadline is a ``timer`` row (kind ``reassign_silence``), written with the client's
message, so a restart loses none and an overdue one fires on the next start. An employee's
reply clears it without a write of its own: the timer remembers when the wait began
(``created_at``), and a reply after that (``chat.last_employee_message_at``) means answered.
So the employee's send, the hottest path, costs nothing more. ``fire_due`` claims each due
row with one conditional UPDATE, so two workers never move a chat twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import AuthorKind, Chat, DialogState, Timer, utcnow
from chat_crm.services import routing
from chat_crm.services.assignment import assign_responsible
from chat_crm.services.chats import touch
from chat_crm.texts import t

KIND = "reassign_silence"


def _minutes(session: Session, chat: Chat) -> int:
    """The department's «Переназначать, если ответственный не ответил за N минут»; 0: off."""
    if chat.department_id is None or chat.responsible_id is None:
        return 0
    return routing.routing_of(session, chat.department_id).reassign_after_minutes or 0


def _pending(session: Session, chat_id: int) -> Timer | None:
    return session.exec(
        select(Timer).where(Timer.chat_id == chat_id, Timer.kind == KIND, col(Timer.done_at).is_(None))
    ).first()


def _answered_since(chat: Chat, since: datetime) -> bool:
    return chat.last_employee_message_at is not None and chat.last_employee_message_at >= since


def arm(work: UnitOfWork, chat: Chat, now: datetime | None = None) -> None:
    """A client message arrived: start the wait, unless an earlier unanswered one already runs."""
    if chat.dialog_state == DialogState.closed:
        return
    minutes = _minutes(work.session, chat)
    if minutes <= 0:
        return
    now = now or utcnow()
    timer = _pending(work.session, chat.id or 0)
    if timer is not None and not _answered_since(chat, timer.created_at):
        return  # the client is still waiting since an earlier message: keep that deadline
    if timer is None:
        timer = Timer(kind=KIND, chat_id=chat.id or 0, due_at=now, created_at=now)
    timer.created_at, timer.due_at = now, now + timedelta(minutes=minutes)
    work.session.add(timer)


def _due(now: datetime) -> list[int]:
    with read_session() as session:
        return list(
            session.exec(
                select(Timer.id).where(
                    Timer.kind == KIND, col(Timer.done_at).is_(None), col(Timer.due_at) <= now
                )
            ).all()
        )


def _claim(work: UnitOfWork, timer_id: int, now: datetime) -> Timer | None:
    """Take the row with one conditional UPDATE: only one worker gets rowcount 1."""
    claimed = work.session.exec(  # type: ignore[call-overload]
        sa.update(Timer)
        .where(col(Timer.id) == timer_id, col(Timer.done_at).is_(None), col(Timer.due_at) <= now)
        .values(done_at=now)
    )
    if claimed.rowcount != 1:
        return None
    return work.session.get(Timer, timer_id)


def _fire_one(timer_id: int, now: datetime) -> bool:
    with unit_of_work() as work:
        timer = _claim(work, timer_id, now)
        chat = work.session.get(Chat, timer.chat_id) if timer else None
        if timer is None or chat is None:
            return False
        work.session.refresh(chat)
        minutes = _minutes(work.session, chat)
        if minutes <= 0 or chat.dialog_state == DialogState.closed or _answered_since(chat, timer.created_at):
            return False
        silent = chat.responsible_id
        successor = routing.pick(work.session, chat.department_id, exclude={silent or 0}, chat_id=chat.id)
        if successor is None:
            return False  # nobody else may take it now: it stays with the one it has
        assign_responsible(
            work,
            chat,
            department_id=chat.department_id,
            employee_id=successor.id,
            actor_kind=AuthorKind.system,
            note=t("history.reassigned_silence", minutes=minutes),
        )
        # The client still waits: the new responsible gets the same N minutes.
        work.session.add(
            Timer(kind=KIND, chat_id=chat.id or 0, due_at=now + timedelta(minutes=minutes), created_at=now)
        )
        touch(work, chat)
        return True


def fire_due(now: datetime | None = None) -> int:
    """Move every chat whose responsible stayed silent past the deadline; returns how many."""
    now = now or utcnow()
    return sum(1 for timer_id in _due(now) if timer_id is not None and _fire_one(timer_id, now))
