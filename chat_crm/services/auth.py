"""Logins: employees by e-mail and password (argon2); clients of the simulated app.

A session is a random token in an HttpOnly cookie and its SHA-256 in the database.
A checked login gives a one-time ticket; the HTTP route ``/auth/session`` turns the
ticket into the session and its cookie, so the token never passes through the websocket.
Failed logins are counted per account and per address in the database (``throttle``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import read_session, unit_of_work
from chat_crm.models import AuthSession, Channel, Client, Employee, LoginTicket, Role, UTCDateTime, utcnow
from chat_crm.services import throttle
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such e-mail" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-password")
TICKET_SECONDS = 60
# A session's last-seen is written at most this often, so a request costs no write.
TOUCH_EVERY = timedelta(minutes=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_session(session: Session, *, employee_id: int | None, client_id: int | None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=_token_hash(token),
            employee_id=employee_id,
            client_id=client_id,
            expires_at=now + timedelta(days=get_settings().session_days),
            last_seen_at=now,
        )
    )
    return token


def _new_ticket(session: Session, *, employee_id: int | None, client_id: int | None) -> str:
    ticket = secrets.token_urlsafe(32)
    session.add(
        LoginTicket(
            ticket_hash=_token_hash(ticket),
            employee_id=employee_id,
            client_id=client_id,
            expires_at=utcnow() + timedelta(seconds=TICKET_SECONDS),
        )
    )
    return ticket


def _check_password(email: str, password: str) -> int:
    """The employee's id, or raise with the Russian message for the form (and count the failure)."""
    with read_session() as session:
        employee = session.exec(select(Employee).where(Employee.email == email)).first()
    try:
        _hasher.verify(employee.password_hash if employee else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        employee = None
    if employee is None or employee.id is None:
        raise ServiceError(t("login.wrong"))
    if not employee.is_active:
        raise ServiceError(t("login.inactive"))
    return employee.id


def login_ticket(email: str, password: str, client_ip: str = "") -> str:
    """Check a login and return a one-time ticket for ``/auth/session``.

    Blocking (argon2, the database): call it off the event loop. While the account or
    the address is locked the password is not even checked, so guessing on is useless.
    """
    email = email.strip().lower()
    if not email or not password:
        raise ServiceError(t("login.required"))
    keys = throttle.keys_for(email, client_ip)
    throttle.check(keys)
    try:
        employee_id = _check_password(email, password)
    except ServiceError as err:
        if err.message == t("login.wrong"):
            throttle.record_failure(keys)
        raise
    throttle.record_success(keys)
    with unit_of_work() as work:
        return _new_ticket(work.session, employee_id=employee_id, client_id=None)


def redeem_ticket(ticket: str) -> tuple[str, bool] | None:
    """Open the session a ticket stands for: (token, is_employee), once, within a minute."""
    if not ticket:
        return None
    with unit_of_work() as work:
        query = select(LoginTicket).where(LoginTicket.ticket_hash == _token_hash(ticket))
        row = work.session.exec(query).first()
        if row is None:
            return None
        work.session.delete(row)
        if row.expires_at <= utcnow():
            return None
        token = _new_session(work.session, employee_id=row.employee_id, client_id=row.client_id)
        return token, row.employee_id is not None


def login(email: str, password: str, client_ip: str = "") -> str:
    """Check a login and open its session at once; returns the session token (tests, benches)."""
    redeemed = redeem_ticket(login_ticket(email, password, client_ip))
    assert redeemed is not None
    return redeemed[0]


def _live_session(session: Session, token: str) -> AuthSession | None:
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == _token_hash(token))).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row


@dataclass(frozen=True)
class StaffIdentity:
    employee_id: int
    full_name: str
    permissions: frozenset[str]


def _touch(session_id: int) -> None:
    """Move the session's last-seen on; a busy database only delays it to the next request."""
    try:
        with unit_of_work() as work:
            work.session.execute(
                sa.update(AuthSession).where(col(AuthSession.id) == session_id).values(last_seen_at=utcnow())
            )
    except ServiceError:
        pass


def resolve_employee(token: str) -> StaffIdentity | None:
    """The active employee behind a token, or None. One query: every CRM event asks it.

    The session ends ``SESSION_IDLE_MINUTES`` after its last request, and ``session_days``
    after the login whatever happens.
    """
    if not token:
        return None
    now = utcnow()
    idle_since = now - timedelta(minutes=get_settings().session_idle_minutes)
    query = (
        select(Employee.id, Employee.full_name, Role.permissions, AuthSession.id, AuthSession.last_seen_at)
        .join(AuthSession, col(AuthSession.employee_id) == col(Employee.id))
        .join(Role, col(Role.id) == col(Employee.role_id), isouter=True)
        .where(
            AuthSession.token_hash == _token_hash(token),
            col(AuthSession.expires_at) > now,
            sa.func.coalesce(col(AuthSession.last_seen_at), col(AuthSession.created_at), type_=UTCDateTime)
            > idle_since,
            col(Employee.is_active).is_(True),
        )
    )
    with read_session() as session:
        row = session.exec(query).first()
    if row is None:
        return None
    employee_id, full_name, permissions, session_id, last_seen = row
    if session_id is not None and (last_seen is None or now - last_seen >= TOUCH_EVERY):
        _touch(session_id)
    return StaffIdentity(
        employee_id=employee_id or 0, full_name=full_name, permissions=frozenset(permissions or ())
    )


def logout(token: str) -> None:
    with unit_of_work() as work:
        row = _live_session(work.session, token)
        if row is not None:
            work.session.delete(row)


def _client_for(session: Session, client_id: int | None, channel: Channel) -> Client:
    if client_id is None:
        client = Client(is_authorized=False, channel=channel)
        session.add(client)
        session.flush()
        return client
    client = session.get(Client, client_id) if 0 < client_id < 2**63 else None
    if client is None or not client.is_authorized:
        raise ServiceError(t("error.not_found"))
    client.channel = channel
    return client


def new_anonymous_client(channel: Channel) -> int:
    """A new anonymous visitor, for the mobile API's visitor token (P15); returns its id."""
    with unit_of_work() as work:
        return _client_for(work.session, None, channel).id or 0


def start_client_session(client_id: int | None, channel: Channel) -> str:
    """Open the simulated app as a demo client, or as a new anonymous visitor.

    The simulator stands in for the mobile app's own sign-in, which is outside
    this product: whoever opens /app picks who they are.
    """
    with unit_of_work() as work:
        client = _client_for(work.session, client_id, channel)
        return _new_session(work.session, employee_id=None, client_id=client.id)


def client_app_ticket(client_id: int | None, channel: Channel) -> str:
    """Like ``start_client_session``, but a ticket for ``/auth/session`` (the cookie is HttpOnly)."""
    with unit_of_work() as work:
        client = _client_for(work.session, client_id, channel)
        return _new_ticket(work.session, employee_id=None, client_id=client.id)


def resolve_client(token: str) -> int | None:
    with read_session() as session:
        row = _live_session(session, token)
        return row.client_id if row is not None else None
