from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout
from chat_crm.services.roles import RoleView
from chat_crm.services.settings import Option
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


_LABEL_STYLE = {"fontSize": "14px"}


def _field_error(message: rx.Var[str], field_id: str) -> rx.Component:
    # role="alert" so a screen reader announces it; the id ties it to its input via aria-describedby.
    return rx.cond(
        message != "",
        rx.text(message, id=field_id, role="alert", color_scheme="red", size="2"),
    )


def _switch(label: str, checked: rx.Var[bool], on_change: rx.EventHandler) -> rx.Component:
    # Wrapped in <label> so the switch's accessible name is exactly the spec's label.
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change, aria_label=label),
            rx.text(label, size="2"),
            align="center",
            spacing="2",
        ),
        cursor="pointer",
    )


def _text_field(
    *,
    label: str,
    name: str,
    value: rx.Var[str],
    on_change: rx.EventHandler,
    counter: rx.Var[str],
    error: rx.Var[str],
    multiline: bool,
) -> rx.Component:
    # No max_length here on purpose: the service is the authority and must be reachable (S11).
    field = rx.text_area if multiline else rx.input
    return rx.vstack(
        rx.hstack(
            rx.el.label(label, html_for=f"settings-{name}", style=_LABEL_STYLE),
            rx.spacer(),
            rx.text(counter, size="1", color_scheme="gray", data_testid=f"{name}-counter"),
            width="100%",
        ),
        field(
            id=f"settings-{name}",
            name=name,
            value=value,
            on_change=on_change,
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            **({"rows": "3"} if multiline else {}),
        ),
        _field_error(error, f"{name}-error"),
        spacing="1",
        width="100%",
    )


def _select(
    *,
    label: str,
    value: rx.Var[str],
    on_change: rx.EventHandler,
    empty_label: str,
    options: rx.Var[list[Option]],
    error: rx.Var[str],
    name: str,
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"settings-{name}", style=_LABEL_STYLE),
        rx.el.select(
            rx.el.option(empty_label, value=""),
            rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
            id=f"settings-{name}",
            name=name,
            value=value,
            on_change=on_change,
            aria_label=label,
            aria_describedby=f"{name}-error",
            style={"padding": "6px", "width": "100%", "maxWidth": "420px"},
        ),
        _field_error(error, f"{name}-error"),
        spacing="1",
        width="100%",
    )


def _group(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), *children, spacing="3", width="100%"), width="100%")


def _chat_tab() -> rx.Component:
    s = SupportSettingsState
    return rx.form(
        rx.vstack(
            _group(
                t("settings.display_group"),
                _switch(t("settings.show_in_storefront"), s.show_in_storefront, s.set_show_in_storefront),
                _switch(t("settings.consent_notice"), s.consent_notice, s.set_consent_notice),
            ),
            _group(
                t("settings.welcome_group"),
                _text_field(
                    label=t("settings.welcome_title"),
                    name="welcome_title",
                    value=s.welcome_title,
                    on_change=s.set_welcome_title,
                    counter=s.title_counter,
                    error=s.title_error,
                    multiline=False,
                ),
                _text_field(
                    label=t("settings.welcome_text"),
                    name="welcome_text",
                    value=s.welcome_text,
                    on_change=s.set_welcome_text,
                    counter=s.text_counter,
                    error=s.text_error,
                    multiline=True,
                ),
            ),
            _group(
                t("settings.responsible_group"),
                _select(
                    label=t("settings.department"),
                    name="department",
                    value=s.department,
                    on_change=s.set_department,
                    empty_label=t("settings.department_none"),
                    options=s.departments,
                    error=s.department_error,
                ),
                _select(
                    label=t("settings.employee"),
                    name="employee",
                    value=s.employee,
                    on_change=s.set_employee,
                    empty_label=t("settings.employee_any"),
                    options=s.employees,
                    error=s.employee_error,
                ),
            ),
            rx.cond(s.form_error != "", rx.callout(s.form_error, color_scheme="red", role="alert")),
            rx.hstack(
                rx.button(t("settings.save"), type="submit"),
                rx.cond(s.saved != "", rx.text(s.saved, color_scheme="green", size="2", role="status")),
                align="center",
                spacing="3",
            ),
            spacing="4",
            max_width="640px",
            padding_top="12px",
        ),
        on_submit=s.save,
    )


def support_settings_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            SupportSettingsState.error != "",
            rx.callout(SupportSettingsState.error, color_scheme="red"),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(t("settings.tab_chat"), value="chat"),
                    rx.tabs.trigger(t("settings.tab_bot"), value="bot"),
                ),
                rx.tabs.content(_chat_tab(), value="chat"),
                rx.tabs.content(rx.text(t("settings.bot_placeholder"), padding_top="12px"), value="bot"),
                default_value="chat",
            ),
        ),
        title=t("nav.settings"),
    )
