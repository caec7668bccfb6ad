"""«Поддержка» → «Отчеты» (P14): what the page shows. Every event asks the services, which
check «Поддержка: Отчеты» each time; the figures are computed in SQL (services/reports)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import reflex as rx

from chat_crm.services.errors import Forbidden, ServiceError
from chat_crm.services.reports import filters, sections
from chat_crm.services.reports.present import ReportTable
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t

ROUTE = "/support/reports"
# The form's fields: the range and the list's filters, by the list's URL keys.
FILTERS = ("from", "to", "topic", "project", "channel", "responsible", "department", "state")


@dataclasses.dataclass
class TableView:
    """One section as the browser gets it: no dates or raw numbers, only what is shown."""

    key: str = ""
    title: str = ""
    headers: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    chart: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    empty: bool = True


def _view(table: ReportTable) -> TableView:
    return TableView(table.key, table.title, table.headers, table.rows, table.chart, table.empty)


class ReportsState(SessionState):
    error: str = ""  # the page cannot be shown (no right, session gone)
    range_error: str = ""
    export_error: str = ""
    loaded: bool = False
    form: dict[str, str] = {}
    choices: dict[str, list[sections.Choice]] = {}
    volume: TableView = TableView()
    first_response: TableView = TableView()
    resolution: TableView = TableView()
    load: TableView = TableView()
    topic: TableView = TableView()
    project: TableView = TableView()
    channel: TableView = TableView()
    employee: TableView = TableView()

    @rx.var
    def all_empty(self) -> bool:
        shown = (self.volume, self.first_response, self.resolution, self.topic, self.project)
        return self.loaded and all(table.empty for table in shown)

    @rx.var
    def period(self) -> str:
        return t("reports.empty_all", first=self.form.get("from", ""), last=self.form.get("to", ""))

    def _query(self) -> filters.ReportQuery:
        params = {key: value for key, value in self.form.items() if key in FILTERS}
        if params.get("state") not in ("", "open", "closed", None):
            params["state"] = ""
        return filters.from_params(params)

    def _read(self, query: filters.ReportQuery) -> tuple[list[ReportTable], sections.Choices] | None:
        if not self._identify():
            return None
        employee_id = self._employee_id()
        return sections.report(employee_id=employee_id, query=query), sections.choices(
            employee_id=employee_id
        )

    def _show(self, query: filters.ReportQuery, tables: list[ReportTable], found: sections.Choices) -> None:
        view = query.view
        self.form = {
            "from": query.first.isoformat(),
            "to": query.last.isoformat(),
            "topic": view.topic,
            "project": str(view.project or ""),
            "channel": view.channel,
            "responsible": str(view.responsible or ""),
            "department": str(view.department or ""),
            "state": view.state,
        }
        self.choices = {
            "topic": found.topics,
            "project": found.projects,
            "channel": found.channels,
            "responsible": found.responsibles,
            "department": found.departments,
            "state": [
                sections.Choice("open", t("inbox.state_open")),
                sections.Choice("closed", t("inbox.state_closed")),
            ],
        }
        for table in tables:
            setattr(self, table.key, _view(table))
        self.loaded, self.error, self.range_error = True, "", ""

    async def _refresh(self, query: filters.ReportQuery):  # type: ignore[no-untyped-def]
        try:
            found = await off_loop(self, self._read, query)
        except Forbidden as err:
            self.error, self.loaded = err.message, False
            return None
        except ServiceError as err:
            self.error = err.message
            return None
        if found is None:
            return rx.redirect("/login")
        self._show(query, *found)
        url = f"{ROUTE}?{filters.to_query(query)}"
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self.export_error = ""
        try:
            query = filters.from_params(dict(self.router.url.query_parameters))
        except ServiceError:
            query = filters.make_query("", "")
        return await self._refresh(query)

    @rx.event
    def set_filter(self, field: str, value: str) -> None:
        if field in FILTERS:
            self.form = {**self.form, field: value[:20]}

    @rx.event
    async def apply(self):  # type: ignore[no-untyped-def]
        try:
            query = self._query()
        except ServiceError as err:
            self.range_error = err.message
            return None
        return await self._refresh(query)

    @rx.event
    async def reset_filters(self):  # type: ignore[no-untyped-def]
        return await self._refresh(filters.make_query(self.form.get("from", ""), self.form.get("to", "")))

    @rx.event
    async def export(self, key: str):  # type: ignore[no-untyped-def]
        """«Выгрузить в Excel»: the section is computed again on the server, with its rights."""
        self.export_error = ""
        try:
            query = self._query()
            made = await off_loop(
                self, lambda: sections.export_section(employee_id=self._employee_id(), query=query, key=key)
            )
        except ServiceError as err:
            self.export_error = err.message
            return None
        return rx.download(url=f"/exports/{made.token}", filename=made.filename)
