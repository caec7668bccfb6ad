"""The simulated mobile app: a picker (who, which OS) above a phone-sized frame."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.composer import composer
from chat_crm.components.message_list import message_list
from chat_crm.states.client_app import ClientAppState as S
from chat_crm.texts import t


def _picker() -> rx.Component:
    return rx.hstack(
        rx.text(t("app.who"), size="2"),
        rx.el.select(
            rx.el.option(t("app.anonymous"), value="anonymous"),
            rx.foreach(S.demo_clients, lambda c: rx.el.option(c.name, value=c.id.to_string())),
            value=S.picked,
            on_change=S.set_picked,
            aria_label=t("app.who"),
            style={"padding": "4px", "maxWidth": "320px"},
        ),
        rx.text(t("app.channel"), size="2"),
        rx.el.select(
            rx.el.option("iOS", value="ios"),
            rx.el.option("Android", value="android"),
            value=S.channel,
            on_change=S.set_channel,
            aria_label=t("app.channel"),
            style={"padding": "4px"},
        ),
        rx.button(t("app.open"), on_click=S.open_app, size="1"),
        align="center",
        spacing="3",
        wrap="wrap",
        padding="12px",
    )


def _bottom_menu() -> rx.Component:
    return rx.hstack(
        rx.button(t("app.storefront"), variant="ghost", on_click=S.show("storefront")),
        rx.button(t("app.notifications"), variant="ghost", disabled=True),
        rx.button(t("app.profile"), variant="ghost", disabled=True),
        justify="between",
        padding="10px 16px",
        border_top="1px solid var(--gray-5)",
        width="100%",
    )


def _storefront() -> rx.Component:
    return rx.vstack(
        rx.heading(t("app.storefront"), size="5"),
        rx.text(t("app.projects"), size="2", color_scheme="gray"),
        rx.foreach(S.projects, lambda name: rx.card(rx.text(name, size="2"), width="100%")),
        rx.cond(
            S.intro.chat_visible,
            rx.button(t("app.contact_us"), on_click=S.show("contact"), width="100%"),
        ),
        rx.cond(
            S.screen == "contact",
            rx.card(
                rx.vstack(
                    rx.text(t("app.contact_us"), weight="bold"),
                    rx.button(t("app.write_to_chat"), on_click=S.open_chat, width="100%"),
                    rx.button("Закрыть", variant="soft", on_click=S.show("storefront"), width="100%"),
                ),
                width="100%",
            ),
        ),
        spacing="3",
        padding="16px",
        width="100%",
        overflow_y="auto",
        flex="1",
    )


def _chat() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button("← " + t("app.back"), variant="ghost", on_click=S.show("storefront")),
            rx.heading(t("app.chat_title"), size="4"),
            align="center",
        ),
        rx.box(
            rx.cond(
                S.messages.length() == 0,
                rx.card(
                    rx.text(S.intro.welcome_title, weight="bold"),
                    rx.text(S.intro.welcome_text, size="2"),
                    data_testid="welcome-stub",
                ),
            ),
            message_list(S.messages, mine_kind="client", empty=""),
            rx.cond(
                S.intro.show_consent,
                rx.text(t("app.consent"), size="1", color_scheme="gray", data_testid="consent"),
            ),
            flex="1",
            overflow_y="auto",
            width="100%",
            padding="8px",
        ),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        composer(
            draft=S.draft,
            on_change=S.set_draft,
            on_submit=S.send,
            placeholder=t("app.placeholder"),
            send_label=t("app.send"),
            multiline=False,
        ),
        height="100%",
        padding="8px",
        width="100%",
    )


def client_app_page() -> rx.Component:
    phone = rx.box(
        rx.cond(
            S.opened,
            rx.vstack(
                rx.cond(S.screen == "chat", _chat(), _storefront()),
                _bottom_menu(),
                height="100%",
                spacing="0",
            ),
            rx.center(rx.text("Выберите клиента и нажмите «Открыть приложение»", size="2"), height="100%"),
        ),
        width="390px",
        height="760px",
        border="10px solid #222",
        border_radius="36px",
        overflow="hidden",
        background="var(--color-background)",
        data_testid="phone",
    )
    return rx.vstack(_picker(), phone, align="center", padding="12px")
