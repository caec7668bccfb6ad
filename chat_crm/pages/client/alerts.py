"""The phone's home strip with the app icon (N4), the push banner (N3) and «Уведомления» (N5)."""

from __future__ import annotations

import reflex as rx

from chat_crm.services.client_alerts import NotificationView
from chat_crm.states.client_app import ClientAppState as S
from chat_crm.texts import t


def count_badge(count: rx.Var[int], testid: str) -> rx.Component:
    """A red counter, shown only above zero; ``99+`` past 99 as the phones do."""
    return rx.cond(
        count > 0,
        rx.badge(rx.cond(count > 99, "99+", count.to_string()), color_scheme="red", data_testid=testid),
    )


def home_strip() -> rx.Component:
    """The phone's status area: the app's icon with its badge (N4), as a home screen shows it.

    ``data-app-unread`` is where phone.js reads the count for the tab title and
    ``navigator.setAppBadge`` (the installed app's real icon, where the browser has one).
    """
    return rx.hstack(
        rx.box(
            rx.center(rx.text("Ч", weight="bold", color="white"), width="28px", height="28px"),
            rx.box(count_badge(S.unread, "app-icon-badge"), position="absolute", top="-8px", right="-14px"),
            position="relative",
            background="var(--accent-9)",
            border_radius="8px",
            role="img",
            aria_label=t("app.icon", name=t("app.title")),
            data_testid="app-icon",
        ),
        rx.text(t("app.title"), size="1", color_scheme="gray"),
        rx.el.span(custom_attrs={"data-app-unread": S.unread.to_string()}, display="none"),
        rx.script(src="/push.js"),  # window.chatPush, for «Разрешить уведомления»
        align="center",
        spacing="4",
        height="44px",
        padding="0 16px",
        border_bottom="1px solid var(--gray-4)",
        width="100%",
        flex_shrink="0",
    )


def push_banner() -> rx.Component:
    """A new message from the staff while the chat is not on screen (N3): tap to open the chat.

    Text only (never HTML). phone.js hides it after a few seconds, or on a swipe, by
    pressing its close button.
    """
    banner = S.banner
    return rx.cond(
        banner,
        rx.hstack(
            rx.box(
                rx.text(banner.title, size="1", weight="bold", truncate=True),
                rx.text(banner.text, size="1", truncate=True),
                on_click=S.open_banner,
                cursor="pointer",
                flex="1",
                min_width="0",
                role="button",
                aria_label=banner.title,
                data_testid="push-text",
            ),
            rx.icon_button(
                "x",
                size="1",
                variant="ghost",
                on_click=S.close_banner,
                aria_label=t("banner.close"),
                custom_attrs={"data-banner-close": "true"},
            ),
            position="absolute",
            top="2px",
            left="8px",
            right="8px",
            z_index="20",
            padding="4px 10px",
            border_radius="12px",
            background="var(--gray-2)",
            box_shadow="0 4px 14px rgba(0,0,0,0.25)",
            align="center",
            role="status",
            data_testid="push-banner",
            custom_attrs={"data-banner-key": banner.key},
        ),
    )


def push_offer() -> rx.Component:
    """«Разрешить уведомления»: one click subscribes this page to real Web Push (N3), through
    assets/push.js (the browser asks its permission only then); phone.js shows it only where
    push can work, and the outcome in Russian from texts.py."""
    return rx.hstack(
        rx.button(
            t("app.allow_push"),
            variant="soft",
            size="1",
            type="button",
            display="none",  # until phone.js knows this browser could subscribe
            custom_attrs={"data-push-allow": "true"},
        ),
        rx.text("", size="1", color_scheme="gray", role="status", custom_attrs={"data-push-status": "true"}),
        rx.el.span(
            id="push-texts",
            display="none",
            custom_attrs={
                "data-enable": t("app.allow_push"),
                "data-enabled": t("app.push_on"),
                "data-unsupported": t("push.unsupported"),
                "data-denied": t("push.denied"),
                "data-failed": t("push.failed"),
            },
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _note(note: rx.Var[NotificationView]) -> rx.Component:
    return rx.card(
        rx.text(note.when, size="1", color_scheme="gray"),
        rx.text(note.text, size="2", weight=rx.cond(note.unseen, "bold", "regular")),
        on_click=S.open_notification(note.id),
        cursor="pointer",
        width="100%",
        flex_shrink="0",
        role="button",
        data_testid="client-notification",
    )


def notifications_screen() -> rx.Component:
    """«Уведомления» (N5): the reminders, newest first; an entry opens the chat."""
    return rx.vstack(
        rx.heading(t("app.notifications"), size="5"),
        push_offer(),
        rx.cond(
            S.notes.length() > 0,
            rx.foreach(S.notes, _note),
            rx.text(t("app.notifications_empty"), size="2", color_scheme="gray"),
        ),
        spacing="3",
        padding="16px",
        width="100%",
        overflow_y="auto",
        flex="1",
        data_testid="notifications-screen",
    )
