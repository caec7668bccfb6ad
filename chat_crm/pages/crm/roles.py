"""«Роли доступа»: the list of roles and the open role's tabs «Доступ» and «Уведомления»."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout, error_callout, notice_callout
from chat_crm.services.access import AlertChannel, AlertKind, Permission
from chat_crm.services.roles import ACCESS_SECTIONS, RoleView
from chat_crm.states.roles import RolesState, alert_key
from chat_crm.texts import t

S = RolesState


def _role_row(role: rx.Var[RoleView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(
                role.name,
                variant=rx.cond(role.id == S.selected, "solid", "ghost"),
                on_click=S.select_role(role.id),
                type="button",
            )
        ),
        rx.table.cell(rx.foreach(role.granted, lambda p: rx.badge(p, margin_right="6px"))),
        rx.table.cell(role.holders),
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="new_name", placeholder=t("roles.new_name"), aria_label=t("roles.new_name")),
            rx.button(t("roles.create"), type="submit"),
            align="center",
        ),
        rx.cond(
            S.new_name_error != "", rx.text(S.new_name_error, role="alert", color_scheme="red", size="2")
        ),
        on_submit=S.create_role,
        reset_on_submit=False,
    )


def _roles_list() -> rx.Component:
    return rx.vstack(
        rx.heading(t("roles.list"), size="4"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Роль"),
                    rx.table.column_header_cell(t("roles.tab_access")),
                    rx.table.column_header_cell(t("employees.title")),
                )
            ),
            rx.table.body(rx.foreach(S.roles, _role_row)),
        ),
        _create_form(),
        spacing="3",
        width="100%",
    )


def _tick(label: str, checked: rx.Var[bool], on_change: object, aria: str | None = None) -> rx.Component:
    # The <label> wraps the box, so the checkbox's accessible name is the spec's label.
    return rx.el.label(
        rx.hstack(
            rx.checkbox(checked=checked, on_change=on_change, aria_label=aria or label),
            rx.text(label, size="2"),
            align="center",
            spacing="2",
        ),
        cursor="pointer",
    )


def _permission(permission: Permission) -> rx.Component:
    code = permission.value
    return _tick(
        t(f"roles.access.{code}"),
        S.draft_permissions.contains(code),
        lambda checked: S.toggle_permission(code, checked),  # type: ignore[call-arg]
    )


def _access_tab() -> rx.Component:
    return rx.vstack(
        *[
            rx.card(
                rx.vstack(
                    rx.heading(t(title), size="3"),
                    *[_permission(p) for p in permissions],
                    spacing="2",
                ),
                width="100%",
            )
            for title, permissions in ACCESS_SECTIONS
        ],
        spacing="3",
        padding_top="12px",
        width="100%",
    )


def _alert_row(kind: AlertKind) -> rx.Component:
    label = t(f"roles.alert.{kind.value}")
    cells = []
    for channel in AlertChannel:
        key = alert_key(kind.value, channel.value)
        cells.append(
            rx.table.cell(
                rx.checkbox(
                    checked=S.draft_alerts.contains(key),
                    on_change=lambda checked, k=key: S.toggle_alert(k, checked),  # type: ignore[call-arg]
                    aria_label=f"{label}: {t(f'roles.channel.{channel.value}')}",
                )
            )
        )
    return rx.table.row(rx.table.cell(label), *cells)


def _notifications_tab() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("roles.section_chat"), size="3"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("roles.event")),
                        *[rx.table.column_header_cell(t(f"roles.channel.{c.value}")) for c in AlertChannel],
                    )
                ),
                rx.table.body(*[_alert_row(k) for k in AlertKind]),
            ),
            spacing="2",
        ),
        margin_top="12px",
        width="100%",
    )


def _rename_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="name",
                default_value=S.selected_name,
                key=S.selected_name,  # a new role (or a new name) refills the field
                aria_label=t("roles.name"),
            ),
            rx.button(t("roles.rename"), type="submit", variant="soft"),
            rx.button(
                t("roles.delete"), type="button", variant="soft", color_scheme="red", on_click=S.delete_role
            ),
            align="center",
            flex_wrap="wrap",
        ),
        rx.cond(S.name_error != "", rx.text(S.name_error, role="alert", color_scheme="red", size="2")),
        on_submit=S.rename_role,
    )


def _editor() -> rx.Component:
    return rx.vstack(
        rx.heading(S.selected_name, size="4", data_testid="role-title"),
        rx.text(t("roles.holders", count="") + S.selected_holders.to_string(), size="2", color_scheme="gray"),
        _rename_form(),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(t("roles.tab_access"), value="access"),
                rx.tabs.trigger(t("roles.tab_notifications"), value="notifications"),
            ),
            rx.tabs.content(_access_tab(), value="access"),
            rx.tabs.content(_notifications_tab(), value="notifications"),
            default_value="access",
            width="100%",
        ),
        rx.hstack(rx.button(t("roles.save"), type="button", on_click=S.save), align="center"),
        spacing="3",
        width="100%",
        max_width="640px",
    )


def roles_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            S.error != "",
            rx.callout(S.error, color_scheme="red", role="alert"),
            rx.vstack(
                error_callout(S.form_error, data_testid="form-error"),
                notice_callout(S.notice, data_testid="notice"),
                rx.flex(
                    rx.box(_roles_list(), flex="1", min_width="320px"),
                    rx.box(
                        rx.cond(S.selected != 0, _editor(), rx.text(t("roles.choose"))),
                        flex="1",
                        min_width="320px",
                    ),
                    gap="24px",
                    flex_wrap="wrap",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        title=t("roles.title"),
    )
