from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from chat_crm.config import PROJECT_ROOT, reload_settings
from chat_crm.models import AuthSession, Channel, Client, LoginThrottle
from chat_crm.services import auth, throttle
from chat_crm.services.errors import ServiceError
from tests import factories


@pytest.fixture
def staff(session: Session):
    admin = factories.role(session, "Администратор")
    return factories.employee(session, "anna@demo.ru", role_row=admin, name="Анна")


def test_login_gives_a_token_that_resolves_to_the_employee(session: Session, staff) -> None:
    token = auth.login("  Anna@Demo.ru ", "secret")
    identity = auth.resolve_employee(token)
    assert identity is not None and identity.full_name == "Анна"
    # only the hash is stored
    assert session.exec(select(AuthSession.token_hash)).one() != token


def test_wrong_password_and_unknown_email_give_the_same_russian_error(session: Session, staff) -> None:
    for email, password in (("anna@demo.ru", "nope"), ("nobody@demo.ru", "secret")):
        with pytest.raises(ServiceError) as err:
            auth.login(email, password)
        assert err.value.message == "Неверный e-mail или пароль"


def test_empty_form_is_refused(sqlite_db: str) -> None:
    with pytest.raises(ServiceError, match="Введите e-mail и пароль"):
        auth.login("", "")


def test_deactivated_employee_loses_the_session_at_once(session: Session, staff) -> None:
    token = auth.login("anna@demo.ru", "secret")
    staff.is_active = False
    session.add(staff)
    session.commit()
    assert auth.resolve_employee(token) is None
    with pytest.raises(ServiceError, match="Учётная запись отключена"):
        auth.login("anna@demo.ru", "secret")


def test_logout_ends_the_session(session: Session, staff) -> None:
    token = auth.login("anna@demo.ru", "secret")
    auth.logout(token)
    assert auth.resolve_employee(token) is None


def test_anonymous_visitor_gets_a_client_row_and_a_client_token(session: Session) -> None:
    token = auth.start_client_session(None, Channel.ios)
    client_id = auth.resolve_client(token)
    client = session.get(Client, client_id)
    assert client is not None and not client.is_authorized and client.channel == Channel.ios
    # a client token opens no CRM session
    assert auth.resolve_employee(token) is None


# ---- sessions: tickets, idle timeout (issue 9) ------------------------------------------------


class Clock:
    """The only thing a test may fake: the time the services read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from chat_crm.models import utcnow

        self.now = utcnow()
        for module in (auth, throttle):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def test_a_ticket_opens_one_session_once(session: Session, staff) -> None:
    ticket = auth.login_ticket("anna@demo.ru", "secret", "10.0.0.1")
    redeemed = auth.redeem_ticket(ticket)
    assert redeemed is not None and redeemed[1] is True
    assert auth.resolve_employee(redeemed[0]) is not None
    assert auth.redeem_ticket(ticket) is None  # used up
    assert auth.redeem_ticket("forged") is None and auth.redeem_ticket("") is None


def test_a_ticket_expires_within_a_minute(session: Session, staff, clock: Clock) -> None:
    ticket = auth.login_ticket("anna@demo.ru", "secret")
    clock.advance(seconds=auth.TICKET_SECONDS + 1)
    assert auth.redeem_ticket(ticket) is None


def test_a_client_ticket_opens_a_client_session(session: Session) -> None:
    redeemed = auth.redeem_ticket(auth.client_app_ticket(None, Channel.android))
    assert redeemed is not None and redeemed[1] is False
    assert auth.resolve_client(redeemed[0]) is not None


def test_idle_session_ends_and_activity_keeps_it(
    session: Session, staff, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "30")
    reload_settings()
    token = auth.login("anna@demo.ru", "secret")
    for _ in range(4):  # active every 20 minutes: 80 minutes in all, never idle for 30
        clock.advance(minutes=20)
        assert auth.resolve_employee(token) is not None
    clock.advance(minutes=31)
    assert auth.resolve_employee(token) is None


def test_last_seen_is_written_at_most_once_a_minute(session: Session, staff, clock: Clock) -> None:
    token = auth.login("anna@demo.ru", "secret")
    first = session.exec(select(AuthSession.last_seen_at)).one()
    clock.advance(seconds=30)
    auth.resolve_employee(token)
    session.expire_all()
    assert session.exec(select(AuthSession.last_seen_at)).one() == first
    clock.advance(seconds=31)
    auth.resolve_employee(token)
    session.expire_all()
    assert session.exec(select(AuthSession.last_seen_at)).one() == clock.now


def test_a_session_ends_at_its_absolute_age_however_active(
    session: Session, staff, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_MAX_DAYS", "1")
    reload_settings()
    token = auth.login("anna@demo.ru", "secret")
    for _ in range(4):  # 20 hours, active every 5
        clock.advance(hours=5)
        assert auth.resolve_employee(token) is not None
    clock.advance(hours=5)
    assert auth.resolve_employee(token) is None


# ---- login throttling (issue 9) -----------------------------------------------------------------

LOCKED = "Слишком много попыток входа. Повторите через {} мин."


def _fail(email: str = "anna@demo.ru", ip: str = "10.0.0.9") -> str:
    with pytest.raises(ServiceError) as err:
        auth.login(email, "wrong", ip)
    return err.value.message


def test_two_hundred_wrong_passwords_then_the_right_one_is_refused(session: Session, staff) -> None:
    messages = [_fail() for _ in range(200)]
    assert messages[:5] == ["Неверный e-mail или пароль"] * 5
    assert all(m.startswith("Слишком много попыток входа") for m in messages[5:])
    with pytest.raises(ServiceError, match="Слишком много попыток входа. Повторите через"):
        auth.login("anna@demo.ru", "secret", "10.0.0.9")
    # from another address too: the account itself is locked
    with pytest.raises(ServiceError, match="Слишком много попыток входа"):
        auth.login("anna@demo.ru", "secret", "192.168.1.1")


def test_the_lock_grows_and_then_lets_the_owner_in(session: Session, staff, clock: Clock) -> None:
    for _ in range(5):
        _fail(ip="")
    assert _fail(ip="") == LOCKED.format(1)
    clock.advance(minutes=1, seconds=1)
    assert _fail(ip="") == "Неверный e-mail или пароль"  # the 6th failure: 2 minutes
    assert _fail(ip="") == LOCKED.format(2)
    clock.advance(minutes=2, seconds=1)
    _fail(ip="")  # the 7th: 4 minutes
    assert _fail(ip="") == LOCKED.format(4)
    clock.advance(minutes=4, seconds=1)
    assert auth.resolve_employee(auth.login("anna@demo.ru", "secret", "")) is not None
    # a success clears the account's count: five more tries before the next lock
    for _ in range(5):
        assert _fail(ip="") == "Неверный e-mail или пароль"


def test_one_address_guessing_many_accounts_is_locked(
    session: Session, staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGIN_IP_MAX_FAILURES", "8")
    reload_settings()
    for i in range(8):
        _fail(email=f"user{i}@demo.ru", ip="10.1.1.1")
    assert _fail(email="other@demo.ru", ip="10.1.1.1").startswith("Слишком много попыток входа")
    # the owner from their own address is not locked out by someone else's guessing
    assert auth.resolve_employee(auth.login("anna@demo.ru", "secret", "10.2.2.2")) is not None


_WORKER = """
import sys
from chat_crm.services import auth
from chat_crm.services.errors import ServiceError
for _ in range(int(sys.argv[1])):
    try:
        auth.login("anna@demo.ru", "wrong", "10.0.0.7")
    except ServiceError as err:
        print(err.message)
"""


def test_throttling_holds_across_two_worker_processes(session: Session, staff, sqlite_db: str) -> None:
    """Two processes on one SQLite file count into the same rows: no failure is lost."""
    env = {**os.environ, "DATABASE_URL": sqlite_db}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, "3"], env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0].splitlines() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert sorted(sum(outputs, [])) == ["Неверный e-mail или пароль"] * 6
    counted = session.exec(select(LoginThrottle).where(LoginThrottle.key == "email:anna@demo.ru")).one()
    assert counted.failures == 6 and counted.locked_until is not None
    # the lock written by the workers holds here, a third process
    with pytest.raises(ServiceError, match="Слишком много попыток входа"):
        auth.login("anna@demo.ru", "secret", "10.0.0.7")
