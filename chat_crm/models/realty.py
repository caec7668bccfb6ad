"""Projects, buildings, units and the clients who own or buy them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, UniqueConstraint

from chat_crm.models.base import created_at_field, enum_column, optional_time_field


class UnitStatus(enum.StrEnum):
    """A unit's status for its client (spec: бронирование, сделка, приемка)."""

    booking = "booking"
    deal = "deal"
    acceptance = "acceptance"


class Channel(enum.StrEnum):
    ios = "ios"
    android = "android"


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    city: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)
    cover_url: str = Field(default="", max_length=500)


class Building(SQLModel, table=True):
    """An object (объект) of a project."""

    __tablename__ = "building"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=200)
    is_commissioned: bool = False  # «готовые помещения» are in commissioned buildings


class Unit(SQLModel, table=True):
    """A flat or other premises (помещение)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    number: str = Field(max_length=20)
    kind: str = Field(default="Квартира", max_length=50)
    rooms: int = 1
    area_m2: float = 0.0
    floor: int = 1
    price_rub: int = 0


class Client(SQLModel, table=True):
    """A buyer in the mobile app, or an anonymous visitor of it."""

    __tablename__ = "client"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(default="", max_length=200)
    # casefolded full_name: SQLite's LIKE folds only ASCII, so Cyrillic search needs this
    name_search: str = Field(default="", max_length=200, index=True)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=254)
    photo_url: str = Field(default="", max_length=500)
    is_authorized: bool = True
    channel: Channel = enum_column(Channel, default=Channel.android)
    created_at: datetime = created_at_field()


class ClientUnit(SQLModel, table=True):
    """Links a client to a unit, with the unit's status for that client."""

    __tablename__ = "client_unit"
    __table_args__ = (UniqueConstraint("client_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    status: UnitStatus = enum_column(UnitStatus)


class Acceptance(SQLModel, table=True):
    """A handover (приемка) of a unit, with its responsible employee (S7)."""

    __tablename__ = "acceptance"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    responsible_id: int | None = Field(default=None, foreign_key="employee.id")
    scheduled_at: datetime | None = optional_time_field()


@sa.event.listens_for(Client, "before_insert")
@sa.event.listens_for(Client, "before_update")
def _fold_client_name(_mapper: Any, _connection: Any, client: Client) -> None:
    client.name_search = client.full_name.casefold()
