"""«Поддержка» → «Отчеты» (P14): the range and the list's filters, then each report as a chart
(Reflex's recharts), its table, and «Выгрузить в Excel»."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout
from chat_crm.states.reports import ReportsState, TableView
from chat_crm.texts import t

CHART_HEIGHT = 240
BLUE, ORANGE = "#3e63dd", "#f76b15"
_FIELD = {"display": "flex", "flexDirection": "column", "gap": "4px"}
_SELECT = {"padding": "6px", "minWidth": "160px"}


def _select(field: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.text(label, size="2"),
        rx.el.select(
            rx.el.option(t("inbox.any"), value=""),
            rx.foreach(ReportsState.choices[field], lambda o: rx.el.option(o.label, value=o.value)),
            value=ReportsState.form[field],
            on_change=lambda value: ReportsState.set_filter(field, value),
            aria_label=label,
            style=_SELECT,
        ),
        style=_FIELD,
    )


def _day(field: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.text(label, size="2"),
        rx.input(
            type="date",
            value=ReportsState.form[field],
            on_change=lambda value: ReportsState.set_filter(field, value),
            aria_label=f"{t('reports.period')} {label}",
        ),
        style=_FIELD,
    )


def _filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _day("from", t("reports.from")),
            _day("to", t("reports.to")),
            _select("topic", t("inbox.f_topic")),
            _select("project", t("inbox.f_project")),
            _select("responsible", t("inbox.f_responsible")),
            _select("department", t("inbox.f_department")),
            _select("channel", t("inbox.f_channel")),
            _select("state", t("inbox.f_state")),
            rx.button(t("reports.apply"), on_click=ReportsState.apply),
            rx.button(t("inbox.reset"), variant="soft", on_click=ReportsState.reset_filters),
            spacing="3",
            align="end",
            flex_wrap="wrap",
        ),
        rx.cond(
            ReportsState.range_error != "",
            rx.text(ReportsState.range_error, color_scheme="red", role="alert"),
        ),
        margin_bottom="16px",
    )


def _table(table: TableView) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(rx.foreach(table.headers, rx.table.column_header_cell))),
        rx.table.body(rx.foreach(table.rows, lambda row: rx.table.row(rx.foreach(row, rx.table.cell)))),
        size="1",
        variant="surface",
        width="100%",
    )


def _axes(key: str) -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key=key),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
    ]


def _volume_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="chats", name=t("reports.h_new_chats"), fill=ORANGE),
        rx.recharts.bar(data_key="messages", name=t("reports.h_messages"), fill=BLUE),
        *_axes("day"),
        data=ReportsState.volume.chart,
        width="100%",
        height=CHART_HEIGHT,
    )


def _timing_chart(table: TableView) -> rx.Component:
    return rx.recharts.line_chart(
        rx.recharts.line(data_key="median", name=t("reports.median_minutes"), stroke=BLUE),
        rx.recharts.line(data_key="p90", name=t("reports.p90_minutes"), stroke=ORANGE),
        *_axes("day"),
        data=table.chart,
        width="100%",
        height=CHART_HEIGHT,
    )


def _count_chart(table: TableView, label: str) -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="count", name=label, fill=BLUE),
        *_axes("name"),
        data=table.chart,
        width="100%",
        height=CHART_HEIGHT,
    )


def _section(key: str, table: TableView, chart: rx.Component) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading(table.title, size="4"),
            rx.spacer(),
            rx.button(
                t("reports.export"),
                size="1",
                variant="soft",
                disabled=table.empty,
                on_click=ReportsState.export(key),
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            table.empty,
            rx.text(t("reports.empty"), color_scheme="gray", size="2", data_testid="report-empty"),
            rx.vstack(rx.box(chart, width="100%"), _table(table), width="100%", spacing="3"),
        ),
        data_testid=f"report-{key}",
        width="100%",
    )


def _sections() -> rx.Component:
    s = ReportsState
    dialogs = t("reports.h_dialogs")
    return rx.vstack(
        _section("volume", s.volume, _volume_chart()),
        rx.grid(
            _section("first_response", s.first_response, _timing_chart(s.first_response)),
            _section("resolution", s.resolution, _timing_chart(s.resolution)),
            _section("load", s.load, _count_chart(s.load, t("reports.h_open_dialogs"))),
            _section("topic", s.topic, _count_chart(s.topic, dialogs)),
            _section("project", s.project, _count_chart(s.project, dialogs)),
            _section("channel", s.channel, _count_chart(s.channel, dialogs)),
            _section("employee", s.employee, _count_chart(s.employee, dialogs)),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def reports_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            ReportsState.error != "",
            rx.callout(ReportsState.error, color_scheme="red", data_testid="page-error"),
            rx.cond(
                ReportsState.loaded,
                rx.box(
                    _filters(),
                    rx.cond(
                        ReportsState.export_error != "",
                        rx.callout(ReportsState.export_error, color_scheme="red"),
                    ),
                    rx.cond(
                        ReportsState.all_empty,
                        rx.callout(ReportsState.period, color_scheme="gray", data_testid="reports-empty"),
                    ),
                    _sections(),
                ),
                rx.text(t("reports.loading"), color_scheme="gray"),
            ),
        ),
        title=t("reports.title"),
    )
