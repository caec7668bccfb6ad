from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout
from chat_crm.services.roles import RoleView
from chat_crm.states.admin import RolesState, SupportSettingsState
from chat_crm.texts import t


def _role_row(role: rx.Var[RoleView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(role.name),
        rx.table.cell(rx.foreach(role.granted, lambda p: rx.badge(p, margin_right="6px"))),
    )


def roles_page() -> rx.Component:
    return crm_layout(
        rx.cond(RolesState.error != "", rx.callout(RolesState.error, color_scheme="red")),
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.table.column_header_cell("Роль"), rx.table.column_header_cell("Доступ"))
            ),
            rx.table.body(rx.foreach(RolesState.roles, _role_row)),
        ),
        title=t("nav.roles"),
    )


def support_settings_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            SupportSettingsState.error != "",
            rx.callout(SupportSettingsState.error, color_scheme="red"),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("Чат", value="chat"), rx.tabs.trigger("Чат-бот", value="bot")),
                rx.tabs.content(
                    rx.text("Настройки вкладки «Чат» появятся здесь.", padding_top="12px"), value="chat"
                ),
                rx.tabs.content(
                    rx.text("Настройки чат-бота появятся здесь.", padding_top="12px"), value="bot"
                ),
                default_value="chat",
            ),
        ),
        title=t("nav.settings"),
    )
