"""The message field with «Отправить»: one piece for the CRM card and the client app.

It carries the one file of a message (M2) with upload progress, and the
«Редактирование сообщения» banner while a sent message is being edited (M6, M7).
``tools`` are the screen's extra buttons (emoji, voice, deep link in the CRM).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from chat_crm.config import get_settings
from chat_crm.services.messages import MAX_TEXT
from chat_crm.texts import t


def _error_codes(rejected: rx.Var) -> rx.Var[str]:
    """Only the error codes of the refused files: the File objects do not travel."""
    records = rejected.to(ArrayVar, list[dict[str, Any]])
    return records.map(
        lambda record: (
            record.to(ObjectVar, dict[str, Any])["errors"]
            .to(ArrayVar, list[dict[str, Any]])
            .map(lambda error: error.to(ObjectVar, dict[str, Any])["code"].to(str))
            .join(",")
        )
    ).join(",")


def _attach_button(state: type[rx.State], upload_id: str) -> rx.Component:
    return rx.upload.root(
        rx.icon_button(
            rx.icon("paperclip", size=18),
            type="button",
            variant="soft",
            aria_label=t("file.attach"),
            title=t("file.attach"),
        ),
        id=upload_id,
        multiple=False,
        max_files=1,
        no_drag=True,
        # The browser refuses an oversized file at once; the server checks again.
        max_size=get_settings().max_upload_bytes,
        on_drop=state.upload(  # type: ignore[attr-defined]
            rx.upload_files(upload_id=upload_id, on_upload_progress=state.upload_progress)  # type: ignore[attr-defined]
        ),
        on_drop_rejected=lambda rejected: state.upload_rejected(_error_codes(rejected)),  # type: ignore[attr-defined]
        border="none",
        padding="0",
    )


def _staged(state: type[rx.State]) -> rx.Component:
    staged = state.staged  # type: ignore[attr-defined]
    percent = state.upload_percent  # type: ignore[attr-defined]
    return rx.fragment(
        rx.cond(
            (percent >= 0) & (percent < 100),
            rx.hstack(
                rx.text(t("file.uploading"), size="1"),
                rx.progress(value=percent, max=100, width="160px"),
                rx.text(percent.to_string() + "%", size="1"),
                align="center",
                data_testid="upload-progress",
            ),
        ),
        rx.cond(
            staged,
            rx.hstack(
                rx.icon(rx.cond(staged.is_image, "image", "file-text"), size=16),
                rx.text(staged.name, size="2"),
                rx.text(staged.size, size="1", color_scheme="gray"),
                rx.icon_button(
                    rx.icon("x", size=14),
                    size="1",
                    variant="ghost",
                    type="button",
                    aria_label=t("file.remove"),
                    on_click=state.remove_file,  # type: ignore[attr-defined]
                ),
                align="center",
                data_testid="staged-file",
            ),
        ),
    )


def composer(
    *,
    state: type[rx.State],
    upload_id: str,
    placeholder: str,
    send_label: str,
    multiline: bool,
    tools: tuple[rx.Component, ...] = (),
    below: tuple[rx.Component, ...] = (),
) -> rx.Component:
    """Enter sends and Shift+Enter starts a new line (P2), typing is announced (P6), and a file
    pasted into the field or dropped on the composer is staged like the paperclip's (P7): chat.js
    does these through the ``data-chat-*`` marks. ``multiline`` gives the CRM a taller field."""
    return rx.fragment(
        _form(state, upload_id, placeholder, send_label, multiline, tools, below), _resend(state)
    )


def _resend(state: type[rx.State]) -> rx.Component:
    """Where chat.js resends a send it never saw confirmed (P18): hidden, text and key only."""
    return rx.form(
        rx.el.input(type="hidden", name="client_msg_id"),
        rx.el.input(type="hidden", name="text"),
        # chat.js presses it when the server lost this tab's state (data-chat-lost).
        rx.el.button(
            type="button",
            on_click=state.rebuild,  # type: ignore[attr-defined]
            custom_attrs={"data-chat-action": "rebuild"},
        ),
        on_submit=state.resend,  # type: ignore[attr-defined]
        display="none",
        custom_attrs={"data-chat-resend": "true"},
    )


def _form(
    state: type[rx.State],
    upload_id: str,
    placeholder: str,
    send_label: str,
    multiline: bool,
    tools: tuple[rx.Component, ...],
    below: tuple[rx.Component, ...],
) -> rx.Component:
    editing = state.editing_id  # type: ignore[attr-defined]
    return rx.form(
        # The send's key, made by chat.js with the draft and kept with it until confirmed.
        rx.el.input(type="hidden", name="client_msg_id", custom_attrs={"data-chat-key": "true"}),
        rx.vstack(
            rx.cond(
                editing > 0,
                rx.hstack(
                    rx.text(t("message.editing"), size="1", weight="bold"),
                    rx.button(
                        t("message.cancel"),
                        size="1",
                        variant="ghost",
                        type="button",
                        on_click=state.cancel_edit,  # type: ignore[attr-defined]
                    ),
                    align="center",
                ),
            ),
            _staged(state),
            *below,
            rx.hstack(
                rx.cond(editing > 0, rx.fragment(), _attach_button(state, upload_id)),
                *tools,
                rx.text_area(
                    name="text",
                    value=state.draft,  # type: ignore[attr-defined]
                    on_change=state.set_draft,  # type: ignore[attr-defined]
                    placeholder=placeholder,
                    flex="1 1 180px",  # on a phone the tools wrap above rather than squeeze the field
                    min_width="0",
                    max_length=MAX_TEXT,
                    rows="2" if multiline else "1",
                    min_height="auto" if multiline else "40px",
                    resize="vertical" if multiline else "none",
                    custom_attrs={"data-chat-field": "true"},
                ),
                rx.button(rx.cond(editing > 0, t("message.save"), send_label), type="submit"),
                width="100%",
                align="end",
                flex_wrap="wrap",
            ),
            width="100%",
            spacing="1",
        ),
        on_submit=state.send,  # type: ignore[attr-defined]
        width="100%",
        border_radius="8px",
        custom_attrs={
            "data-chat-composer": "true",
            # What chat.js needs for crash-safe sending (P18): see assets/chat.js.
            "data-chat-scope": state.draft_scope,  # type: ignore[attr-defined]
            "data-chat-boot": state.boot,  # type: ignore[attr-defined]
            "data-chat-handled": state.handled_keys.join(" "),  # type: ignore[attr-defined]
            "data-chat-refused": state.refused_key,  # type: ignore[attr-defined]
            "data-chat-lost": rx.cond(state.lost, "true", "false"),  # type: ignore[attr-defined]
            "data-chat-editing": rx.cond(editing > 0, "true", "false"),
        },
        # A file dragged over the composer: show where it will land.
        style={
            "&[data-drag-over='true']": {"outline": "2px dashed var(--accent-8)", "outline_offset": "4px"}
        },
    )


def canned_picker(choices_json: rx.Var[str]) -> rx.Component:
    """The «/» list of canned replies above the CRM composer (P13), put in ``below``.

    ``choices_json`` holds the employee's templates already filled for the chat; assets/canned.js
    filters them as the operator types and inserts one with ↑/↓ + Enter or a click. The list is
    built by the script as text nodes (never markup), inside this box, which React leaves empty.
    """
    return rx.fragment(
        rx.script(src="/canned.js"),
        rx.el.div(
            custom_attrs={
                "data-canned-picker": "true",
                "data-canned-choices": choices_json,
                "data-canned-label": t("canned.picker"),
                "data-canned-hint": t("canned.picker_hint"),
            },
            # A plain div: the script shows it with an inline display, which no theme class overrides.
            style={"display": "none", "width": "100%"},
        ),
    )
