"""Deep links (M5): which screens an employee may send, and what those screens show (X1).

Availability follows the partner's products: the mortgage calculator belongs
to «Ипотека», installments to «Сделка». The project card and the ready-units
list are part of the storefront every partner has, so they are always offered.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from chat_crm.db import read_session
from chat_crm.models import (
    Building,
    Chat,
    ClientUnit,
    DeepLinkKind,
    Message,
    PartnerSettings,
    Project,
    Unit,
    UnitStatus,
)
from chat_crm.services.access import Permission, access_client, require_employee
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.settings import Option
from chat_crm.texts import t

NEEDS_PROJECT = frozenset({DeepLinkKind.project_card, DeepLinkKind.ready_units})
# The widget's own picture and annotation (M5: "with image + annotation").
WIDGET_IMAGE = {
    DeepLinkKind.mortgage_calculator: "/deeplinks/mortgage.svg",
    DeepLinkKind.installments: "/deeplinks/installments.svg",
}


def available_kinds(session: Session) -> list[DeepLinkKind]:
    partner = session.exec(select(PartnerSettings)).first()
    kinds = [DeepLinkKind.project_card, DeepLinkKind.ready_units]
    if partner is not None and partner.has_mortgage:
        kinds.append(DeepLinkKind.mortgage_calculator)
    if partner is not None and partner.has_deal:
        kinds.append(DeepLinkKind.installments)
    return kinds


@dataclass(frozen=True)
class DeepLinkChoices:
    kinds: list[Option]
    projects: list[Option]


def deep_link_choices(*, employee_id: int) -> DeepLinkChoices:
    with read_session() as session:
        require_employee(session, employee_id, Permission.chat_send)
        projects = session.exec(select(Project).order_by(col(Project.name))).all()
        return DeepLinkChoices(
            kinds=[Option(k.value, t(f"link.{k.value}")) for k in available_kinds(session)],
            projects=[Option(str(p.id), p.name) for p in projects],
        )


def check_deep_link(session: Session, kind: str, project_id: int | None) -> tuple[DeepLinkKind, int | None]:
    """The (kind, project) a message may carry, or ServiceError with a Russian reason."""
    try:
        link = DeepLinkKind(kind)
    except ValueError:
        raise ServiceError(t("error.link_unavailable"), field="link") from None
    if link not in available_kinds(session):
        raise ServiceError(t("error.link_unavailable"), field="link")
    if link not in NEEDS_PROJECT:
        return link, None
    if not project_id or session.get(Project, project_id) is None:
        raise ServiceError(t("error.link_project"), field="link")
    return link, project_id


@dataclass(frozen=True)
class LinkCard:
    """How a message's deep link looks in the chat."""

    kind: str
    title: str
    note: str
    image: str


def link_card(kind: DeepLinkKind | None, project: Project | None) -> LinkCard | None:
    if kind is None:
        return None
    if kind in WIDGET_IMAGE:
        return LinkCard(kind.value, t(f"link.{kind.value}"), t(f"link.{kind.value}.note"), WIDGET_IMAGE[kind])
    name = project.name if project else ""
    if kind == DeepLinkKind.project_card:
        return LinkCard(kind.value, name, "", project.cover_url if project else "")
    return LinkCard(kind.value, t("link.ready_units"), name, "")


@dataclass(frozen=True)
class UnitLine:
    caption: str
    details: str
    price: str


@dataclass(frozen=True)
class LinkScreen:
    """One screen of the simulated app that a deep link opens."""

    kind: str
    title: str
    subtitle: str
    description: str
    image: str
    units: list[UnitLine]
    finished: list[UnitLine]


def rub(amount: float) -> str:
    return f"{round(amount):,}".replace(",", " ") + " ₽"


def _unit_line(unit: Unit, building: Building, project: Project) -> UnitLine:
    area = f"{unit.area_m2:.1f}".replace(".", ",")
    return UnitLine(
        caption=f"{unit.kind} №{unit.number} · {project.name}, {building.name}",
        details=f"{unit.rooms} комн. · {area} м² · {unit.floor} этаж",
        price=rub(unit.price_rub),
    )


def _units_of(session: Session, query) -> list[UnitLine]:  # type: ignore[no-untyped-def]
    return [_unit_line(u, b, p) for u, b, p in session.exec(query).all()]


def _unit_query():  # type: ignore[no-untyped-def]
    return (
        select(Unit, Building, Project)
        .join(Building, col(Building.id) == Unit.building_id)
        .join(Project, col(Project.id) == Building.project_id)
    )


def link_screen(*, client_id: int, message_id: int) -> LinkScreen:
    """The screen behind a deep link the client received in its own chat."""
    with read_session() as session:
        client = access_client(session, client_id)
        message = session.get(Message, message_id)
        chat = session.get(Chat, message.chat_id) if message else None
        if message is None or chat is None or chat.client_id != client.id or message.deleted_at:
            raise NotFound(t("error.not_found"))
        kind = message.deep_link_kind
        if kind is None:
            raise NotFound(t("error.not_found"))
        project = session.get(Project, message.deep_link_project_id) if message.deep_link_project_id else None
        title = t(f"link.{kind.value}")
        if kind == DeepLinkKind.project_card and project is not None:
            buildings = session.exec(select(Building).where(Building.project_id == project.id)).all()
            ready = sum(1 for b in buildings if b.is_commissioned)
            subtitle = f"{project.city} · корпусов: {len(buildings)}, сдано: {ready}"
            return LinkScreen(
                kind.value, project.name, subtitle, project.description, project.cover_url, [], []
            )
        if kind == DeepLinkKind.ready_units and project is not None:
            units = _units_of(
                session,
                _unit_query()
                .where(Building.project_id == project.id, Building.is_commissioned == True)  # noqa: E712
                .order_by(col(Building.name), col(Unit.number)),
            )
            return LinkScreen(kind.value, title, project.name, "", "", units, [])
        if kind == DeepLinkKind.installments:
            mine = _unit_query().join(ClientUnit, col(ClientUnit.unit_id) == Unit.id)
            mine = mine.where(ClientUnit.client_id == client.id)
            active = _units_of(session, mine.where(ClientUnit.status == UnitStatus.deal))
            finished = _units_of(session, mine.where(ClientUnit.status == UnitStatus.acceptance))
            return LinkScreen(kind.value, title, "", t("link.installments.note"), "", active, finished)
        return LinkScreen(kind.value, title, "", t("link.mortgage_calculator.note"), "", [], [])


# The calculator's bounds: a price a flat can have, a rate a bank can ask.
MAX_PRICE = 10**12
MAX_RATE_PERCENT = 100.0
_WHOLE = re.compile(r"[0-9]{1,13}")
_DECIMAL = re.compile(r"[0-9]{1,3}([.,][0-9]{1,4})?")


def monthly_payment(*, price: int, down_payment: int, years: int, rate_percent: float) -> int:
    """The annuity payment of the mortgage calculator screen, in roubles."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (price, down_payment, years)):
        raise ServiceError(t("error.calculator_number"))
    if not isinstance(rate_percent, int | float) or not math.isfinite(rate_percent):
        raise ServiceError(t("error.calculator_number"))
    if price <= 0 or years <= 0 or years > 40 or not (0 <= down_payment < price) or rate_percent < 0:
        raise ServiceError(t("error.calculator"))
    if price > MAX_PRICE or rate_percent > MAX_RATE_PERCENT:
        raise ServiceError(t("error.calculator_number"))
    principal, months = price - down_payment, years * 12
    rate = rate_percent / 100 / 12
    if rate == 0:
        return round(principal / months)
    return round(principal * rate / (1 - (1 + rate) ** -months))


def calculate(*, price: str, down_payment: str, years: str, rate_percent: str) -> int:
    """The calculator's form as typed: plain digits only (no «inf», «nan», «1e400» or minus)."""
    fields = [
        str(v).replace(" ", "").replace("\u00a0", "") for v in (price, down_payment, years, rate_percent)
    ]
    if not all(_WHOLE.fullmatch(v) for v in fields[:3]) or not _DECIMAL.fullmatch(fields[3]):
        raise ServiceError(t("error.calculator_number"))
    return monthly_payment(
        price=int(fields[0]),
        down_payment=int(fields[1]),
        years=int(fields[2]),
        rate_percent=float(fields[3].replace(",", ".")),
    )
