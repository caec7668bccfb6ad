"""A conversation: bubbles rendered as text, never as HTML (stored XSS)."""

from __future__ import annotations

import reflex as rx

from chat_crm.services.messages import MessageView


def bubble(message: rx.Var[MessageView], mine: rx.Var[bool]) -> rx.Component:
    return rx.box(
        rx.text(message.author_name, size="1", weight="bold", color_scheme="gray"),
        rx.text(message.text, size="2", white_space="pre-wrap", class_name="message-text"),
        rx.hstack(
            rx.cond(message.is_edited, rx.text("изменено", size="1", color_scheme="gray")),
            rx.text(message.time, size="1", color_scheme="gray", title=message.when),
            justify="end",
            spacing="2",
        ),
        background=rx.cond(mine, "var(--accent-3)", "var(--gray-3)"),
        align_self=rx.cond(mine, "flex-end", "flex-start"),
        max_width="80%",
        padding="8px 12px",
        border_radius="12px",
        data_testid="message",
        data_message_id=message.id,
    )


def message_list(messages: rx.Var[list[MessageView]], mine_kind: str, empty: str) -> rx.Component:
    """``mine_kind`` "client" renders the client's messages on the right, else the staff's."""
    return rx.cond(
        messages.length() > 0,
        rx.vstack(
            rx.foreach(
                messages,
                lambda m: bubble(
                    m,
                    (m.author_kind == "client") if mine_kind == "client" else (m.author_kind != "client"),
                ),
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        rx.text(empty, color_scheme="gray", size="2"),
    )
