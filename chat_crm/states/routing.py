"""Tab «Распределение» (P11, P12): what the form shows; the rules are in services/routing.py."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from chat_crm.services import routing
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t


@dataclasses.dataclass
class RoutingRowForm:
    """One department's fields as the browser holds them, and an error beside each."""

    id: str
    name: str
    policy: str
    cap: str
    minutes: str
    policy_error: str = ""
    cap_error: str = ""
    minutes_error: str = ""


def _form(row: routing.RoutingRow) -> RoutingRowForm:
    return RoutingRowForm(str(row.department_id), row.name, row.policy, row.cap, row.minutes)


class RoutingSettingsState(SessionState):
    rows: list[RoutingRowForm] = []
    form_error: str = ""
    saved: str = ""

    @rx.event
    async def on_load(self) -> None:
        self.form_error = self.saved = ""
        try:
            found = await off_loop(self, lambda: routing.read_routing(employee_id=self._employee_id()))
        except ServiceError:
            self.rows = []  # the page says why (tab «Чат» holds the page-level error)
            return
        self.rows = [_form(row) for row in found]

    def _typed(self, form: dict[str, Any]) -> list[routing.RoutingRow]:
        """What the browser submitted, for the departments this screen shows."""
        return [
            routing.RoutingRow(
                department_id=int(row.id),
                name=row.name,
                policy=str(form.get(f"policy-{row.id}", row.policy)),
                cap=str(form.get(f"cap-{row.id}", row.cap)),
                minutes=str(form.get(f"minutes-{row.id}", row.minutes)),
            )
            for row in self.rows
        ]

    def _show_error(self, typed: list[routing.RoutingRow], err: ServiceError) -> None:
        kind, _, department = err.field.partition("-")
        rows = [_form(row) for row in typed]
        for row in rows:
            if row.id == department and kind in ("policy", "cap", "minutes"):
                setattr(row, f"{kind}_error", err.message)
                break
        else:
            self.form_error = err.message
        self.rows = rows

    @rx.event
    async def save(self, form: dict[str, Any]) -> None:
        typed = self._typed(form)
        self.form_error = self.saved = ""
        try:
            saved = await off_loop(
                self, lambda: routing.save_routing(employee_id=self._employee_id(), rows=typed)
            )
        except ServiceError as err:
            self._show_error(typed, err)  # what was typed stays; the message is beside its field
            return
        self.rows = [_form(row) for row in saved]
        self.saved = t("settings.saved")
