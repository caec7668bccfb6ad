"""A conversation: bubbles rendered as text, never as HTML (stored XSS).

Files show as a thumbnail that opens full size, or as name + size to download
(M2); a deep link shows as the card M5 describes; the context menu (a right
click, or a long press on a phone) offers only what the viewer may do (M6, M7).
"""

from __future__ import annotations

import reflex as rx

from chat_crm.components.attachment_view import attachment
from chat_crm.services.messages import MessageView
from chat_crm.texts import t


def file_href(message: rx.Var[MessageView]) -> rx.Var[str]:
    return "/files/" + message.file_id.to_string()


def _file(message: rx.Var[MessageView]) -> rx.Component:
    return attachment(message)


def _link_card(message: rx.Var[MessageView], on_open: rx.EventHandler | None) -> rx.Component:
    card = rx.card(
        rx.vstack(
            rx.cond(
                message.link_image != "",
                rx.image(
                    src=message.link_image, alt="", width="100%", max_height="120px", object_fit="cover"
                ),
            ),
            rx.text(message.link_title, size="2", weight="bold"),
            rx.cond(message.link_note != "", rx.text(message.link_note, size="1", color_scheme="gray")),
            spacing="1",
        ),
        width="240px",
        data_testid="deep-link",
        data_kind=message.link_kind,
    )
    if on_open is None:
        return card
    return rx.box(card, on_click=on_open(message.id), cursor="pointer", role="link")


def bubble(
    message: rx.Var[MessageView], state: type[rx.State], *, open_link: rx.EventHandler | None = None
) -> rx.Component:
    body = rx.box(
        rx.hstack(
            rx.cond(
                message.author_photo != "",
                rx.avatar(src=message.author_photo, fallback="•", size="1", radius="full"),
            ),
            rx.text(message.author_name, size="1", weight="bold", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.cond(message.file_id > 0, _file(message)),
        rx.cond(message.link_kind != "", _link_card(message, open_link)),
        rx.cond(
            message.text != "",
            rx.text(
                message.text,
                size="2",
                white_space="pre-wrap",
                class_name="message-text",
                font_style=rx.cond(message.is_deleted, "italic", "normal"),
                color=rx.cond(message.is_deleted, "var(--gray-10)", "inherit"),
            ),
        ),
        rx.hstack(
            rx.cond(
                message.is_edited & ~message.is_deleted,
                rx.text(t("message.edited"), size="1", color_scheme="gray"),
            ),
            rx.text(message.time, size="1", color_scheme="gray", title=message.when),
            rx.cond(
                message.is_mine & message.is_read,
                rx.text(t("message.read"), size="1", color_scheme="green", data_testid="read-mark"),
            ),
            justify="end",
            spacing="2",
        ),
        background=rx.cond(message.is_mine, "var(--accent-3)", "var(--gray-3)"),
        padding="8px 12px",
        border_radius="12px",
        data_testid="message",
        data_message_id=message.id,
    )
    menu = rx.cond(
        message.is_deleted,
        body,
        rx.context_menu.root(
            rx.context_menu.trigger(body),
            rx.context_menu.content(
                rx.context_menu.item(t("message.copy"), on_select=state.copy_text(message.text)),
                rx.cond(
                    message.can_change,
                    rx.fragment(
                        rx.context_menu.item(t("message.edit"), on_select=state.start_edit(message.id)),
                        rx.context_menu.item(
                            t("message.delete"), color="red", on_select=state.delete_message(message.id)
                        ),
                    ),
                ),
            ),
        ),
    )
    return rx.box(menu, align_self=rx.cond(message.is_mine, "flex-end", "flex-start"), max_width="80%")


def message_list(
    state: type[rx.State], empty: str, *, open_link: rx.EventHandler | None = None
) -> rx.Component:
    messages = state.messages  # type: ignore[attr-defined]
    return rx.cond(
        messages.length() > 0,
        rx.vstack(
            rx.cond(
                state.has_earlier,  # type: ignore[attr-defined]
                rx.button(
                    t("message.earlier"),
                    variant="ghost",
                    size="1",
                    on_click=state.load_earlier,  # type: ignore[attr-defined]
                ),
            ),
            rx.foreach(messages, lambda m: bubble(m, state, open_link=open_link)),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        rx.text(empty, color_scheme="gray", size="2"),
    )
