"""The message field with «Отправить»: one piece for the CRM card and the client app."""

from __future__ import annotations

import reflex as rx

from chat_crm.services.messages import MAX_TEXT


def composer(
    *,
    draft: rx.Var[str],
    on_change: rx.EventHandler,
    on_submit: rx.EventHandler,
    placeholder: str,
    send_label: str,
    multiline: bool,
) -> rx.Component:
    field = rx.text_area if multiline else rx.input
    return rx.form(
        rx.hstack(
            field(
                name="text",
                value=draft,
                on_change=on_change,
                placeholder=placeholder,
                width="100%",
                max_length=MAX_TEXT,
                **({"rows": "2"} if multiline else {}),
            ),
            rx.button(send_label, type="submit"),
            width="100%",
            align="end",
        ),
        on_submit=on_submit,
        width="100%",
    )
