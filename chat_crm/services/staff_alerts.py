"""Who among the staff hears about what, and how (N1, N2).

Two causes: a client's new message, and being made a chat's responsible. Each alert is an
entry of the employee's in-app «Уведомления» (always), plus a Web Push and/or an e-mail as
the employee's role chose (``access.alert_channels``). Everything is written in the cause's
own transaction: the push and the mail go through the durable outbox.

A chat that already has an unread «Новое сообщение…» entry for an employee does not alert
them again: ten messages in a row make one badge, one push and one mail, not ten.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import UnitOfWork
from chat_crm.models import Chat, Employee, StaffNotification
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import assignment, outbox
from chat_crm.services.access import AlertChannel, AlertKind, alert_channels
from chat_crm.services.mail import alert_bodies
from chat_crm.texts import t

# Without a responsible, the department's answerers are told; a huge department gets the
# first ones by name rather than a mail storm.
MAX_DEPARTMENT_RECIPIENTS = 10
PREVIEW_CHARS = 200


def chat_link(chat: Chat) -> str:
    return f"/support/chats/{chat.id}"


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _already_alerted(session: Session, chat_id: int, employee_ids: list[int]) -> set[int]:
    """Employees who still have an unread «Новое сообщение…» entry about this chat."""
    rows = session.exec(
        select(StaffNotification.employee_id).where(
            col(StaffNotification.chat_id) == chat_id,
            col(StaffNotification.kind) == AlertKind.chat_new_message.value,
            col(StaffNotification.employee_id).in_(employee_ids),
            col(StaffNotification.read_at).is_(None),
        )
    ).all()
    return set(rows)


def send_channels(
    session: Session, employee: Employee, kind: AlertKind, chat: Chat, headline: str, preview: str
) -> None:
    """The push and the mail of one alert, as the employee's role chose (the outbox sends)."""
    channels = alert_channels(session, employee, kind)
    if not channels or employee.id is None:
        return
    link = chat_link(chat)
    if AlertChannel.push in channels:
        outbox.enqueue_push(
            session,
            employee_id=employee.id,
            title=headline,
            body=preview or t("mail.open_chat"),
            url=link,
            tag=f"chat-{chat.id}",
        )
    if AlertChannel.email in channels and employee.email:
        text, html = alert_bodies(headline, preview, get_settings().base_url + link)
        outbox.enqueue_email(session, employee_id=employee.id, subject=headline, text=text, html=html)


def _recipients(session: Session, chat: Chat) -> list[Employee]:
    if chat.responsible_id is not None:
        responsible = session.get(Employee, chat.responsible_id)
        return [responsible] if responsible is not None and responsible.is_active else []
    return assignment.eligible_employees(session, chat.department_id)[:MAX_DEPARTMENT_RECIPIENTS]


def on_client_message(work: UnitOfWork, chat: Chat, text: str) -> None:
    """«Новое сообщение в чате витрины №N» to the responsible, else to the department."""
    session = work.session
    recipients = [e for e in _recipients(session, chat) if e.id is not None]
    if not recipients or chat.id is None:
        return
    skip = _already_alerted(session, chat.id, [e.id for e in recipients if e.id is not None])
    headline = t("notify.chat_new_message", number=chat.number)
    for employee in recipients:
        if employee.id in skip or employee.id is None:
            continue
        kind = AlertKind.chat_new_message
        entry = StaffNotification(employee_id=employee.id, chat_id=chat.id, kind=kind.value, text=headline)
        session.add(entry)
        work.announce(ChatEvent(EventTopic.staff_notification, chat_id=chat.id, employee_id=employee.id))
        send_channels(session, employee, kind, chat, headline, _preview(text))


def on_assigned(work: UnitOfWork, chat: Chat, employee_id: int) -> None:
    """The push and mail of «Вас назначили ответственным…»; assignment.py wrote the entry."""
    employee = work.session.get(Employee, employee_id)
    if employee is None or not employee.is_active:
        return
    headline = t("notify.chat_assigned", number=chat.number)
    send_channels(work.session, employee, AlertKind.chat_assigned, chat, headline, "")
