"""Who takes a chat of a department (P11): the one policy of the bot, the basic scenario and
the reassignment on silence (P12).

A pick is always *routable*: an active employee of the department whose role may write to
clients (``may_answer``), who has not marked themselves «Не в сети», and who holds fewer open
dialogs than the department's cap. Among those the department's policy chooses: «Случайно»
(the default), «По очереди» (a cursor in ``department_routing``, so a restart or another worker
goes on from the same place) or «Наименее загруженный». Nobody routable: ``None``, and the chat
stays «Без ответственного».
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Chat, Department, DepartmentRouting, DialogState, Employee, Role, RoutingPolicy
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.texts import t

_random = random.SystemRandom()


def _may_write(role: Role | None) -> bool:
    return role is not None and Permission.chat_send.value in role.permissions


def may_answer(session: Session, employee: Employee | None, department_id: int | None) -> bool:
    """The one rule of who may be handed a chat of ``department_id``: an active employee of
    that department whose role may write to clients («Чат: Отправка сообщений»)."""
    return (
        employee is not None
        and employee.is_active
        and employee.department_id == department_id
        and _may_write(session.get(Role, employee.role_id))
    )


def eligible_employees(session: Session, department_id: int | None) -> list[Employee]:
    """Everyone ``may_answer`` allows in the department, by name: the «Ответственный» list (C3).

    «Не в сети» does not remove anyone here: a person may still hand a chat to them by hand.
    """
    if department_id is None:
        return []
    rows = session.exec(
        select(Employee, Role)
        .join(Role, col(Role.id) == Employee.role_id)
        .where(Employee.department_id == department_id, Employee.is_active == True)  # noqa: E712
        .order_by(col(Employee.full_name), col(Employee.id))
    ).all()
    # Permissions are a JSON list: filtered here, the same way on SQLite and PostgreSQL.
    return [employee for employee, role in rows if _may_write(role)]


def routing_of(session: Session, department_id: int) -> DepartmentRouting:
    """The department's settings; a department never saved gets the defaults (not stored)."""
    row = session.get(DepartmentRouting, department_id)
    return row if row is not None else DepartmentRouting(department_id=department_id)


def _locked_routing(session: Session, department_id: int) -> DepartmentRouting | None:
    """The department's row under its write lock, for the rest of the transaction.

    An UPDATE that changes nothing locks the row on PostgreSQL and takes SQLite's write lock,
    so two picks of one department (two workers) run one after the other: the cursor and the
    loads each one reads are the ones the other wrote.
    """
    session.exec(  # type: ignore[call-overload]
        sa.update(DepartmentRouting)
        .where(col(DepartmentRouting.department_id) == department_id)
        .values(last_picked_id=DepartmentRouting.last_picked_id)
    )
    return session.exec(
        select(DepartmentRouting)
        .where(DepartmentRouting.department_id == department_id)
        .execution_options(populate_existing=True)
    ).first()


def open_loads(
    session: Session, employee_ids: Collection[int], *, but_chat: int | None = None
) -> dict[int, int]:
    """Open dialogs (not closed) per employee; ``but_chat`` is the chat being handed out."""
    if not employee_ids:
        return {}
    query = (
        select(Chat.responsible_id, func.count())
        .where(col(Chat.responsible_id).in_(list(employee_ids)), Chat.dialog_state != DialogState.closed)
        .group_by(col(Chat.responsible_id))
    )
    if but_chat is not None:
        query = query.where(col(Chat.id) != but_chat)
    return {int(employee_id): int(count) for employee_id, count in session.exec(query).all() if employee_id}


def may_route(
    session: Session, employee: Employee | None, department_id: int | None, *, chat_id: int | None = None
) -> bool:
    """May a policy (or a fixed rule) hand a chat to ``employee`` right now?"""
    if not (may_answer(session, employee, department_id) and employee is not None and employee.is_online):
        return False
    cap = routing_of(session, department_id or 0).max_open_dialogs
    return (
        cap is None
        or open_loads(session, [employee.id or 0], but_chat=chat_id).get(employee.id or 0, 0) < cap
    )


def _next_in_turn(candidates: Sequence[Employee], last_picked_id: int | None) -> Employee:
    """«По очереди»: the first after the last one picked, by id (stable across renames)."""
    ordered = sorted(candidates, key=lambda e: e.id or 0)
    after = [e for e in ordered if (e.id or 0) > (last_picked_id or 0)]
    return after[0] if after else ordered[0]


def pick(
    session: Session,
    department_id: int | None,
    *,
    exclude: Collection[int] = (),
    chat_id: int | None = None,
) -> Employee | None:
    """The department's policy picks a routable employee (not in ``exclude``), or ``None``.

    Run inside the unit of work that assigns the chat: «По очереди» moves its cursor there.
    """
    if department_id is None:
        return None
    routing = _locked_routing(session, department_id)
    policy = routing.policy if routing else RoutingPolicy.random
    cap = routing.max_open_dialogs if routing else None
    candidates = [
        e for e in eligible_employees(session, department_id) if e.is_online and e.id not in exclude
    ]
    loads = (
        open_loads(session, [e.id or 0 for e in candidates], but_chat=chat_id)
        if candidates and (cap is not None or policy == RoutingPolicy.least_loaded)
        else {}
    )
    if cap is not None:
        candidates = [e for e in candidates if loads.get(e.id or 0, 0) < cap]
    if not candidates:
        return None
    if policy == RoutingPolicy.round_robin and routing is not None:
        chosen = _next_in_turn(candidates, routing.last_picked_id)
        routing.last_picked_id = chosen.id
        session.add(routing)
        return chosen
    if policy == RoutingPolicy.least_loaded:
        # Ties go to the lowest id: the same answer on every worker, easy to explain.
        return min(candidates, key=lambda e: (loads.get(e.id or 0, 0), e.id or 0))
    return _random.choice(candidates)


# ---- «Поддержка» → «Настройки» → «Распределение» ---------------------------------------------

CAP_LIMIT = 1000
MINUTES_LIMIT = 7 * 24 * 60


@dataclass(frozen=True)
class RoutingRow:
    """One department as the form shows it: numbers as text, "" for «none»."""

    department_id: int
    name: str
    policy: str
    cap: str
    minutes: str


def _row(department: Department, routing: DepartmentRouting) -> RoutingRow:
    cap, minutes = routing.max_open_dialogs, routing.reassign_after_minutes
    return RoutingRow(
        department_id=department.id or 0,
        name=department.name,
        policy=routing.policy.value,
        cap=str(cap) if cap else "",
        minutes=str(minutes) if minutes else "",
    )


def _rows(session: Session) -> list[RoutingRow]:
    departments = session.exec(select(Department).order_by(col(Department.name), col(Department.id))).all()
    return [_row(d, routing_of(session, d.id or 0)) for d in departments]


def read_routing(*, employee_id: int | None) -> list[RoutingRow]:
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_settings)
        return _rows(session)


def _number(text: str, *, low: int, high: int, field: str, message: str) -> int | None:
    """ "" is «none»; anything else must be a whole number in [low, high]."""
    text = text.strip()
    if text == "":
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ServiceError(message, field=field)
    return int(text)


def _checked(row: RoutingRow) -> tuple[RoutingPolicy, int | None, int | None]:
    department = row.department_id
    if row.policy not in {p.value for p in RoutingPolicy}:
        raise ServiceError(t("routing.policy_invalid"), field=f"policy-{department}")
    cap = _number(
        row.cap,
        low=1,
        high=CAP_LIMIT,
        field=f"cap-{department}",
        message=t("routing.cap_invalid", limit=CAP_LIMIT),
    )
    minutes = _number(
        row.minutes,
        low=0,
        high=MINUTES_LIMIT,
        field=f"minutes-{department}",
        message=t("routing.minutes_invalid", limit=MINUTES_LIMIT),
    )
    return RoutingPolicy(row.policy), cap, minutes or None


def save_routing(*, employee_id: int | None, rows: Sequence[RoutingRow]) -> list[RoutingRow]:
    """Check every row first (a refusal names its field), then write them all at once."""
    checked = [(row.department_id, _checked(row)) for row in rows]
    with unit_of_work() as work:
        session = work.session
        require_employee(session, employee_id, Permission.support_settings)
        for department_id, (policy, cap, minutes) in checked:
            if session.get(Department, department_id) is None:
                raise NotFound(t("error.not_found"))
            routing = session.get(DepartmentRouting, department_id) or DepartmentRouting(
                department_id=department_id
            )
            routing.policy, routing.max_open_dialogs, routing.reassign_after_minutes = policy, cap, minutes
            session.add(routing)
        session.flush()
        return _rows(session)
