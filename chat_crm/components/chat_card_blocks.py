"""The chat card's side blocks: «Информация», «Клиент», «Управление», «История изменений» (C1–C4)."""

from __future__ import annotations

import reflex as rx

from chat_crm.services.chat_management import ClientUnitView
from chat_crm.services.chats import HistoryEntry
from chat_crm.services.settings import Option
from chat_crm.states.chat_card import ChatCardState
from chat_crm.states.chat_manage import ChatManageState
from chat_crm.texts import t

M = ChatManageState
card = ChatCardState.card

_LABEL_STYLE = {"fontSize": "var(--font-size-2)", "color": "var(--gray-11)"}
_CONTROL_STYLE = {"padding": "6px", "width": "100%"}


def field(label: str, value: rx.Var | str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", min_width="120px"),
        rx.text(value, size="2", overflow_wrap="anywhere"),
        spacing="3",
    )


def section(title: str, *children: rx.Component, testid: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3"), *children, spacing="2", width="100%"),
        width="100%",
        **({"data_testid": testid} if testid else {}),
    )


def _info() -> rx.Component:
    return section(
        t("card.info"),
        field(t("card.unit_status"), card.unit_status),
        field(t("card.created"), card.created),
        field(t("card.updated"), card.updated),
        field(t("card.channel"), card.channel),
        testid="card-info",
    )


def _unit_line(unit: rx.Var[ClientUnitView]) -> rx.Component:
    return rx.text(unit.caption, " · ", unit.status, size="2", data_testid="client-unit")


def _client() -> rx.Component:
    """C2: only for an authorized client; an anonymous visitor has no data to show."""
    client = M.client
    return rx.cond(
        client,
        section(
            t("card.client"),
            field(t("card.full_name"), client.full_name),
            field(t("card.phone"), rx.cond(client.phone != "", client.phone, t("dash"))),
            field(t("card.email"), rx.cond(client.email != "", client.email, t("dash"))),
            rx.text(t("card.units"), size="2", color_scheme="gray"),
            rx.cond(
                client.units.length() > 0,
                rx.vstack(rx.foreach(client.units, _unit_line), spacing="1"),
                rx.text(t("card.no_units"), size="2", color_scheme="gray"),
            ),
            testid="card-client",
        ),
    )


def _error(name: str) -> rx.Component:
    message = M.field_errors.get(name, "")
    return rx.cond(
        message != "",
        rx.text(message, id=f"manage-{name}-error", role="alert", color_scheme="red", size="2"),
    )


def _select(
    name: str, label: str, value: rx.Var[str], on_change: rx.EventHandler, options: rx.Var[list[Option]]
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"manage-{name}", style=_LABEL_STYLE),
        rx.el.select(
            rx.el.option(t("card.none"), value=""),
            rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
            id=f"manage-{name}",
            value=value,
            on_change=on_change,
            disabled=~M.can_edit,
            aria_describedby=f"manage-{name}-error",
            style=_CONTROL_STYLE,
        ),
        _error(name),
        spacing="1",
        width="100%",
    )


def _comment() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.el.label(t("card.comment"), html_for="manage-comment", style=_LABEL_STYLE),
            rx.spacer(),
            rx.text(M.comment_counter, size="1", color_scheme="gray"),
            width="100%",
        ),
        rx.text_area(
            id="manage-comment",
            value=M.comment,
            on_change=M.set_comment,
            disabled=~M.can_edit,
            rows="3",
            width="100%",
            aria_describedby="manage-comment-error",
        ),
        rx.text(t("card.comment_hint"), size="1", color_scheme="gray"),
        _error("comment"),
        spacing="1",
        width="100%",
    )


def _buttons() -> rx.Component:
    return rx.fragment(
        rx.cond(M.manage_error != "", rx.callout(M.manage_error, color_scheme="red", role="alert")),
        rx.hstack(
            rx.cond(M.can_edit, rx.button(t("card.save"), type="button", on_click=M.save)),
            rx.cond(
                M.can_take,
                rx.button(t("card.assign_to_me"), type="button", variant="soft", on_click=M.assign_to_me),
            ),
            rx.cond(
                M.manage_notice != "", rx.text(M.manage_notice, color_scheme="green", size="2", role="status")
            ),
            align="center",
            spacing="3",
            flex_wrap="wrap",
        ),
    )


def _manage() -> rx.Component:
    """C3: editable by who may write to clients; the «Оператор» reads it."""
    return section(
        t("card.manage"),
        _select("unit", t("card.unit"), M.unit, M.set_unit, M.units),
        _select("topic", t("card.topic"), M.topic, M.set_topic, M.topics),
        _select("department", t("card.department"), M.department, M.set_department, M.departments),
        _select("responsible", t("card.responsible"), M.responsible, M.set_responsible, M.responsibles),
        _comment(),
        rx.cond(~M.can_edit, rx.text(t("card.read_only"), size="1", color_scheme="gray")),
        _buttons(),
        testid="card-manage",
    )


def _history_row(entry: rx.Var[HistoryEntry]) -> rx.Component:
    return rx.box(
        rx.text(entry.when, " · ", entry.who, size="1", color_scheme="gray"),
        rx.text(entry.what, ": ", entry.old, " → ", entry.new, size="2", overflow_wrap="anywhere"),
        rx.cond(entry.note != "", rx.text(entry.note, size="1", color_scheme="gray")),
        data_testid="history-entry",
    )


def _history() -> rx.Component:
    return section(
        t("card.history"),
        rx.cond(
            ChatCardState.history.length() > 0,
            rx.vstack(rx.foreach(ChatCardState.history, _history_row), spacing="2"),
            rx.text(t("card.no_history"), size="2", color_scheme="gray"),
        ),
        testid="card-history",
    )


def side_panel() -> rx.Component:
    return rx.vstack(
        _info(),
        _client(),
        rx.cond(M.loaded, _manage()),
        _history(),
        # Beside the conversation on a desktop; below it, full width, on a phone.
        width=rx.breakpoints(initial="100%", md="380px"),
        order=rx.breakpoints(initial="2", md="0"),
        flex_shrink="0",
    )
