"""E-mail alerts through a real SMTP server (aiosmtpd on loopback), and the .eml fallback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from chat_crm.db import unit_of_work
from chat_crm.models import utcnow
from chat_crm.models.notify import OutboxItem, OutboxStatus
from chat_crm.services import mail, outbox
from tests import factories, servers


def _employee(session: Session):
    return factories.employee(session, "manager@demo.ru", role_row=factories.role(session, "Менеджер"))


def _enqueue(employee_id: int, preview: str = "Когда выдадут ключи?") -> int:
    subject = "Новое сообщение в чате витрины №7"
    text, html = mail.alert_bodies(subject, preview, mail.chat_url(7))
    with unit_of_work() as work:
        item = outbox.enqueue_email(
            work.session, employee_id=employee_id, subject=subject, text=text, html=html
        )
        work.session.flush()
        return item.id or 0


@pytest.mark.feature("N1")
def test_a_mail_reaches_the_smtp_server_in_russian_with_text_html_and_the_link(
    session: Session, smtp: servers.SmtpServer
) -> None:
    employee = _employee(session)
    row_id = _enqueue(employee.id, preview='<script>alert("x")</script> & ключи')
    assert outbox.deliver_due() == 1
    [msg] = smtp.messages
    assert msg["Subject"] == "Новое сообщение в чате витрины №7"
    assert msg["To"] == "manager@demo.ru" and msg["From"] == "chat@demo.ru"
    assert msg["Message-ID"] == f"<outbox-{row_id}@demo.ru>"  # a crash-resend is deduplicated
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = "http://localhost:3000/support/chats/7"
    assert "Новое сообщение в чате витрины №7" in text and link in text
    assert f'href="{link}"' in html and "Открыть чат" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; ключи" in html
    assert '<script>alert("x")</script> & ключи' in text  # plain text stays as written


@pytest.mark.feature("N1")
def test_smtp_down_for_ten_minutes_loses_nothing_and_sends_once(
    session: Session, smtp: servers.SmtpServer
) -> None:
    employee = _employee(session)
    smtp.stop()
    _enqueue(employee.id)
    _enqueue(employee.id, preview="Второе")
    now = utcnow()
    end = now + timedelta(minutes=10)
    while now < end:  # the outbox loop keeps trying on its schedule; the clock is ours
        assert outbox.deliver_due(now=now) == 0
        now += timedelta(seconds=15)
    rows = list(session.exec(select(OutboxItem)))
    assert all(r.status == OutboxStatus.pending and r.attempts >= 3 for r in rows)
    # backed off: far fewer attempts than the 40 rounds of the loop
    assert all(r.attempts <= 7 for r in rows)
    smtp.start()
    later = max(r.next_attempt_at for r in rows)
    assert outbox.deliver_due(now=later) == 2
    assert outbox.deliver_due(now=later + timedelta(hours=2)) == 0
    assert len(smtp.messages) == 2
    session.expire_all()
    assert {r.status for r in session.exec(select(OutboxItem))} == {OutboxStatus.sent}


@pytest.mark.feature("N1")
def test_without_smtp_host_mails_are_written_as_eml_files(session: Session) -> None:
    employee = _employee(session)
    row_id = _enqueue(employee.id)
    assert outbox.deliver_due() == 1
    path = mail.eml_path(row_id)
    assert path.parent.name == "mail" and path.exists()
    raw = path.read_bytes()
    assert b"Message-ID: <outbox-" in raw and b"Subject:" in raw


def test_a_deactivated_employee_gets_no_mail(session: Session, smtp: servers.SmtpServer) -> None:
    employee = _employee(session)
    _enqueue(employee.id)
    employee.is_active = False
    session.add(employee)
    session.commit()
    assert outbox.deliver_due() == 0
    assert smtp.messages == []
    session.expire_all()
    assert session.exec(select(OutboxItem)).one().status == OutboxStatus.failed
