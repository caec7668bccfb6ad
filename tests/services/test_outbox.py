"""The durable outbox: rows live in the cause's transaction, one worker holds a row, retries back off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from chat_crm import config
from chat_crm.db import unit_of_work
from chat_crm.models import utcnow
from chat_crm.models.notify import OutboxItem, OutboxStatus
from chat_crm.services import mail, outbox
from tests import factories, servers


@pytest.fixture
def employee(session: Session):
    return factories.employee(session, "m@demo.ru", role_row=factories.role(session, "Менеджер"))


def _rows(session: Session) -> list[OutboxItem]:
    session.expire_all()
    return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)))


def _enqueue_mail(employee_id: int) -> int:
    with unit_of_work() as work:
        item = outbox.enqueue_email(
            work.session, employee_id=employee_id, subject="Тема", text="Текст", html="<p>Текст</p>"
        )
        work.session.flush()
        return item.id or 0


@pytest.mark.feature("N1")
def test_an_alert_exists_only_if_its_cause_committed(session: Session, employee) -> None:
    with pytest.raises(RuntimeError), unit_of_work() as work:
        outbox.enqueue_push(
            work.session, employee_id=employee.id, title="Т", body="Б", url="/support/chats/1"
        )
        raise RuntimeError("the cause rolled back")
    assert _rows(session) == []
    _enqueue_mail(employee.id)
    [row] = _rows(session)
    assert (row.channel, row.status, row.attempts) == ("email", OutboxStatus.pending, 0)
    with pytest.raises(ValueError):
        outbox.enqueue_push(session, employee_id=employee.id, client_id=1, title="", body="", url="/")


@pytest.mark.feature("N1")
def test_a_claimed_row_is_held_by_one_worker_until_its_lease_ends(session: Session, employee) -> None:
    """A worker killed after claiming: nobody else takes the row until the lease ends; then it
    is retried once, and the dead worker's late answer cannot overwrite the new outcome."""
    row_id = _enqueue_mail(employee.id)
    now = utcnow()
    [first] = outbox.claim_due(now=now)
    assert outbox.claim_due(now=now + timedelta(seconds=5)) == []  # the other workers skip it
    after_lease = now + timedelta(seconds=config.get_settings().outbox_lease_seconds + 1)
    [second] = outbox.claim_due(now=after_lease)
    assert (second.id, second.attempt) == (row_id, 2)
    assert outbox.deliver_one(second, now=after_lease) is OutboxStatus.sent
    outbox._finish(first, status=OutboxStatus.failed.value)  # the dead worker's stale write: fenced
    [row] = _rows(session)
    assert (row.status, row.attempts) == (OutboxStatus.sent, 2)
    assert mail.eml_path(row_id).exists()  # no SMTP_HOST: the demo default writes .eml files
    assert outbox.deliver_due(now=after_lease + timedelta(days=1)) == 0  # sent once, never again


@pytest.mark.feature("N1")
def test_failures_back_off_exponentially_then_give_up(
    session: Session, employee, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(servers.free_port()))  # nothing listens: the SMTP server is down
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("OUTBOX_BACKOFF_SECONDS", "10")
    config.reload_settings()
    _enqueue_mail(employee.id)
    now = utcnow()
    waits = []
    for _ in range(3):
        assert outbox.deliver_due(now=now) == 0
        [row] = _rows(session)
        assert row.status == OutboxStatus.pending and "smtp" in row.last_error
        waits.append((row.next_attempt_at - now).total_seconds())
        assert outbox.claim_due(now=now) == []  # not due before its backoff
        now = row.next_attempt_at
    # 10, 20, 40 seconds, each with up to 20 % jitter below
    for wait, base in zip(waits, (10, 20, 40), strict=True):
        assert 0.8 * base - 0.01 <= wait <= base + 0.01
    outbox.deliver_due(now=now)
    [row] = _rows(session)
    assert (row.status, row.attempts) == (OutboxStatus.failed, 4)
    assert outbox.deliver_due(now=now + timedelta(days=1)) == 0
    config.reload_settings()


def test_backoff_is_capped(monkeypatch: pytest.MonkeyPatch, sqlite_db: str) -> None:
    monkeypatch.setenv("OUTBOX_BACKOFF_MAX_SECONDS", "300")
    config.reload_settings()
    assert 240 <= outbox.backoff_delay(30) <= 300
    config.reload_settings()
