"""«Не в сети» / «В сети» (P11): an employee says they are away; no routing policy picks them.

Stored on the employee row, so every worker and every policy sees it at once.
Handing a chat over by hand still works: a person may decide otherwise.
"""

from __future__ import annotations

from chat_crm.db import read_session, unit_of_work
from chat_crm.services.access import active_employee


def is_online(*, employee_id: int | None) -> bool:
    with read_session() as session:
        return active_employee(session, employee_id).is_online


def set_online(*, employee_id: int | None, online: bool) -> bool:
    """Only for oneself: the acting employee is the one marked. Returns the new state."""
    with unit_of_work() as work:
        employee = active_employee(work.session, employee_id)
        employee.is_online = bool(online)
        work.session.add(employee)
        return employee.is_online
