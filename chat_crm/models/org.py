"""The partner, its departments, employees, roles and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chat_crm.models.base import UTCDateTime, created_at_field, enum_column, utcnow


class PartnerSettings(SQLModel, table=True):
    """One row: what the partner bought and where it lives."""

    __tablename__ = "partner_settings"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    has_booking: bool = False  # «Бронирование»
    has_deal: bool = False  # «Сделка»
    has_acceptance: bool = False  # «Приемка»
    has_mortgage: bool = False  # «Ипотека»
    time_zone: str = Field(default="Europe/Moscow", max_length=64)


class Department(SQLModel, table=True):
    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Role(SQLModel, table=True):
    """A set of permissions and of notification channels (A1, N1).

    ``permissions`` holds permission codes from services.access.Permission;
    ``notifications`` maps an event code to the channels, e.g.
    {"chat_new_message": ["push", "email"]}.
    """

    __tablename__ = "role"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    notifications: dict[str, list[str]] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


class Employee(SQLModel, table=True):
    __tablename__ = "employee"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True, index=True)
    photo_url: str = Field(default="", max_length=500)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    role_id: int = Field(foreign_key="role.id", index=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    created_at: datetime = created_at_field()
    # «Не в сети» (P11): the employee is away and no routing policy hands them a chat.
    is_online: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})


class AuthSession(SQLModel, table=True):
    """A login: of an employee in the CRM, or of a client in the (simulated) app.

    Only a hash of the token is stored, so a leaked database opens no session.
    """

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Touched at most once a minute by a request of the session: the idle timeout counts from it.
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class RoutingPolicy(enum.StrEnum):
    """How a department's new chats are handed out (P11)."""

    random = "random"  # «Случайно», the seed's behaviour
    round_robin = "round_robin"  # «По очереди»
    least_loaded = "least_loaded"  # «Наименее загруженный»


class DepartmentRouting(SQLModel, table=True):
    """A department's routing (P11, P12); no row means «Случайно», no cap, no reassignment."""

    __tablename__ = "department_routing"

    department_id: int = Field(foreign_key="department.id", primary_key=True)
    policy: RoutingPolicy = enum_column(RoutingPolicy, default=RoutingPolicy.random)
    max_open_dialogs: int | None = None  # «Лимит открытых диалогов»; None: no cap
    reassign_after_minutes: int | None = None  # P12; None: off
    # «По очереди»: the last employee picked. In the row, so a restart or another worker
    # goes on from the same place; updated in the pick's transaction, under the row's lock.
    last_picked_id: int | None = None
