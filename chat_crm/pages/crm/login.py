from __future__ import annotations

import reflex as rx

from chat_crm.states.session import LoginState
from chat_crm.texts import t


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(t("login.title"), size="6"),
                    rx.el.label(t("login.email"), html_for="login-email"),
                    rx.input(
                        id="login-email",
                        name="email",
                        type="email",
                        placeholder="admin@demo.ru",
                        width="100%",
                        auto_focus=True,
                    ),
                    rx.el.label(t("login.password"), html_for="login-password"),
                    rx.input(id="login-password", name="password", type="password", width="100%"),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(LoginState.error, color_scheme="red", role="alert", width="100%"),
                    ),
                    rx.button(t("login.submit"), type="submit", width="100%"),
                    spacing="3",
                    width="320px",
                ),
                on_submit=LoginState.submit,
            ),
        ),
        min_height="100vh",
    )
