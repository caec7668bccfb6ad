"""Login throttling and one-time login tickets (issue 9: sessions).

Kept in the database, so a lock holds across workers and restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from chat_crm.models.base import UTCDateTime, optional_time_field, utcnow


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one account (``email:…``) or one address (``ip:…``)."""

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=320, unique=True, index=True)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = optional_time_field()


class LoginTicket(SQLModel, table=True):
    """A one-time, short-lived pass from a checked login to the route that sets the cookie.

    The session token itself is made by that route and travels only in its Set-Cookie
    header: it never passes through the websocket. Only the ticket's hash is stored.
    """

    __tablename__ = "login_ticket"

    id: int | None = Field(default=None, primary_key=True)
    ticket_hash: str = Field(max_length=64, unique=True, index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    client_id: int | None = Field(default=None, foreign_key="client.id")
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
