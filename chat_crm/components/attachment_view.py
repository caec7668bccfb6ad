"""The file of a message (M2, P7): an image as its thumbnail that opens full size, or a document.

The thumbnail (``/files/<id>/thumb``) is a small JPEG made at upload, so a chat
full of phone photos stays light; a click opens the original in a dialog,
with «Открыть оригинал» for a new tab. A document shows its name and size and
downloads. Both URLs check who asks (routes.py).
"""

from __future__ import annotations

import reflex as rx

from chat_crm.services.messages import MessageView
from chat_crm.texts import t


def file_href(message: rx.Var[MessageView]) -> rx.Var[str]:
    return "/files/" + message.file_id.to_string()


def thumb_href(message: rx.Var[MessageView]) -> rx.Var[str]:
    return "/files/" + message.file_id.to_string() + "/thumb"


def _lightbox(message: rx.Var[MessageView]) -> rx.Component:
    return rx.dialog.content(
        rx.dialog.title(message.file_name, size="3", trim="both"),
        rx.center(
            rx.image(
                src=file_href(message),
                alt=message.file_name,
                max_width="100%",
                max_height="75vh",
                object_fit="contain",
                data_testid="message-image-full",
            ),
            padding_y="12px",
        ),
        rx.hstack(
            # Reflex renders anchors as router links; target="_blank" leaves the click to the browser.
            rx.button(
                rx.el.a(t("image.open_original"), href=file_href(message), target="_blank", rel="noopener"),
                as_child=True,
                variant="soft",
            ),
            rx.dialog.close(rx.button(t("image.close"), type="button")),
            justify="end",
            spacing="3",
        ),
        max_width="min(92vw, 1200px)",
        width="auto",
    )


def _image(message: rx.Var[MessageView]) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.el.button(
                rx.image(
                    src=thumb_href(message),
                    alt=message.file_name,
                    max_width="220px",
                    max_height="220px",
                    border_radius="8px",
                    object_fit="cover",
                    data_testid="message-image",
                ),
                type="button",
                title=t("image.show_full"),
                aria_label=t("image.show_full"),
                padding="0",
                border="none",
                background="none",
                cursor="zoom-in",
                display="block",
            ),
        ),
        _lightbox(message),
    )


def _document(message: rx.Var[MessageView]) -> rx.Component:
    return rx.el.a(
        rx.hstack(
            rx.icon("file-text", size=18),
            rx.vstack(
                rx.text(message.file_name, size="2", weight="medium"),
                rx.text(message.file_size, size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="center",
            spacing="2",
        ),
        href=file_href(message),
        download=message.file_name,
        target="_blank",
        data_testid="message-file",
    )


def attachment(message: rx.Var[MessageView]) -> rx.Component:
    return rx.cond(message.file_is_image, _image(message), _document(message))
