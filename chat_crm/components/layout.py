"""The CRM frame: navigation «Поддержка» → «Чат» / «Настройки»."""

from __future__ import annotations

import reflex as rx

from chat_crm.states.session import SessionState
from chat_crm.texts import t


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium")


def crm_layout(*children: rx.Component, title: str | rx.Var) -> rx.Component:
    header = rx.hstack(
        rx.heading(t("app.title"), size="5"),
        rx.hstack(
            rx.text(t("nav.support"), color_scheme="gray", size="2"),
            _nav_link(t("nav.chat"), "/support/chats"),
            rx.cond(SessionState.can_open_settings, _nav_link(t("nav.settings"), "/support/settings")),
            rx.cond(
                SessionState.can_open_roles,
                rx.hstack(
                    rx.text(f"{t('nav.settings')} → {t('nav.employees')}", color_scheme="gray", size="2"),
                    _nav_link(t("nav.roles"), "/settings/roles"),
                    spacing="2",
                ),
            ),
            spacing="4",
            align="center",
        ),
        rx.spacer(),
        rx.text(SessionState.employee_name, size="2", data_testid="employee-name"),
        rx.button(t("nav.logout"), variant="soft", size="1", on_click=SessionState.logout),
        align="center",
        spacing="5",
        padding="12px 20px",
        border_bottom="1px solid var(--gray-5)",
        width="100%",
    )
    return rx.box(
        header,
        rx.box(rx.heading(title, size="6", margin_bottom="16px"), *children, padding="20px"),
        width="100%",
    )
