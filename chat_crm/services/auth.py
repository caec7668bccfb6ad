"""Logins: employees by e-mail and password (argon2); clients of the simulated app.

A session is a random token in the browser and its SHA-256 in the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import read_session, unit_of_work
from chat_crm.models import AuthSession, Channel, Client, Employee, Role, utcnow
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such e-mail" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_session(session: Session, *, employee_id: int | None, client_id: int | None) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=_token_hash(token),
            employee_id=employee_id,
            client_id=client_id,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    return token


def login(email: str, password: str) -> str:
    """Return a session token, or raise with the Russian message for the form."""
    email = email.strip().lower()
    if not email or not password:
        raise ServiceError(t("login.required"))
    with unit_of_work() as work:
        employee = work.session.exec(select(Employee).where(Employee.email == email)).first()
        try:
            _hasher.verify(employee.password_hash if employee else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise ServiceError(t("login.wrong")) from None
        if employee is None:
            raise ServiceError(t("login.wrong"))
        if not employee.is_active:
            raise ServiceError(t("login.inactive"))
        return _new_session(work.session, employee_id=employee.id, client_id=None)


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


def resolve_employee(token: str) -> StaffIdentity | None:
    """The active employee behind a token, or None. One query: every CRM event asks it."""
    if not token:
        return None
    query = (
        select(Employee.id, Employee.full_name, Role.permissions)
        .join(AuthSession, col(AuthSession.employee_id) == col(Employee.id))
        .join(Role, col(Role.id) == col(Employee.role_id), isouter=True)
        .where(
            AuthSession.token_hash == _token_hash(token),
            col(AuthSession.expires_at) > utcnow(),
            col(Employee.is_active).is_(True),
        )
    )
    with read_session() as session:
        row = session.exec(query).first()
    if row is None:
        return None
    employee_id, full_name, permissions = row
    return StaffIdentity(
        employee_id=employee_id or 0, full_name=full_name, permissions=frozenset(permissions or ())
    )


def logout(token: str) -> None:
    with unit_of_work() as work:
        row = _live_session(work.session, token)
        if row is not None:
            work.session.delete(row)


def start_client_session(client_id: int | None, channel: Channel) -> str:
    """Open the simulated app as a demo client, or as a new anonymous visitor.

    The simulator stands in for the mobile app's own sign-in, which is outside
    this product: whoever opens /app picks who they are.
    """
    with unit_of_work() as work:
        if client_id is None:
            client = Client(is_authorized=False, channel=channel)
            work.session.add(client)
            work.session.flush()
        else:
            client = work.session.get(Client, client_id)
            if client is None or not client.is_authorized:
                raise ServiceError(t("error.not_found"))
            client.channel = channel
        return _new_session(work.session, employee_id=None, client_id=client.id)


def resolve_client(token: str) -> int | None:
    with read_session() as session:
        row = _live_session(session, token)
        return row.client_id if row is not None else None
