"""A conversation: bubbles rendered as text, never as HTML (stored XSS); links only from the
parts the server found (P4); date (P3) and dialog (P5) separators; «Прочитано» (M11).

Files show as a thumbnail that opens full size, or as name + size to download
(M2); a deep link shows as the card M5 describes; the context menu (a right
click, or a long press on a phone) offers only what the viewer may do (M6, M7).
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.inline import A

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


def _text(message: rx.Var[MessageView]) -> rx.Component:
    """The text from its parts: links only where the server found an http(s) URL (P4), the
    rest as text; a long word or URL wraps instead of widening the page."""
    return rx.text(
        rx.foreach(
            message.parts,
            lambda part: rx.cond(
                part.href != "",
                # A plain <a>: the router's link would treat the URL as a page of this app.
                A.create(part.text, href=part.href, target="_blank", rel="noopener noreferrer"),
                rx.fragment(part.text),
            ),
        ),
        size="2",
        white_space="pre-wrap",
        overflow_wrap="anywhere",
        class_name="message-text",
        font_style=rx.cond(message.is_deleted, "italic", "normal"),
        color=rx.cond(message.is_deleted, "var(--gray-10)", "inherit"),
    )


def _author(message: rx.Var[MessageView], mark_bot: bool) -> rx.Component:
    return rx.hstack(
        rx.cond(
            message.author_photo != "",
            rx.avatar(src=message.author_photo, fallback="•", size="1", radius="full"),
        ),
        rx.text(message.author_name, size="1", weight="bold", color_scheme="gray"),
        rx.cond(
            message.is_bot,
            rx.badge(t("message.bot"), size="1", color_scheme="violet", data_testid="bot-mark"),
        )
        if mark_bot
        else rx.fragment(),
        align="center",
        spacing="2",
    )


def _footer(message: rx.Var[MessageView], state: type[rx.State]) -> rx.Component:
    read_up_to = state.read_up_to  # type: ignore[attr-defined]
    return rx.hstack(
        rx.cond(
            message.is_edited & ~message.is_deleted,
            rx.text(t("message.edited"), size="1", color_scheme="gray"),
        ),
        rx.text(message.time, size="1", color_scheme="gray", title=message.when, data_testid="message-time"),
        rx.cond(
            message.is_mine & (message.id <= read_up_to),
            rx.text(t("message.read"), size="1", color_scheme="green", data_testid="read-mark"),
        ),
        justify="end",
        spacing="2",
    )


def _may_change(message: rx.Var[MessageView], state: type[rx.State]) -> rx.Var[bool]:
    """What the viewer may change: a client only what no employee has read yet (M7)."""
    if getattr(state, "_read_by", "") == "employee":
        return message.can_change & (message.id > state.read_up_to)  # type: ignore[attr-defined]
    return message.can_change


def _separator(text: rx.Var[str], testid: str) -> rx.Component:
    line = rx.box(flex="1", height="1px", background="var(--gray-6)")
    return rx.hstack(
        line,
        rx.text(text, size="1", color_scheme="gray", weight="medium", white_space="nowrap"),
        line,
        align="center",
        spacing="2",
        width="100%",
        role="separator",
        data_testid=testid,
    )


def bubble(
    message: rx.Var[MessageView],
    state: type[rx.State],
    *,
    open_link: rx.EventHandler | None = None,
    mark_bot: bool = False,
) -> rx.Component:
    body = rx.box(
        _author(message, mark_bot),
        rx.cond(message.file_id > 0, _file(message)),
        rx.cond(message.link_kind != "", _link_card(message, open_link)),
        rx.cond(message.text != "", _text(message)),
        _footer(message, state),
        background=rx.cond(message.is_mine, "var(--accent-3)", "var(--gray-3)"),
        padding="8px 12px",
        border_radius="12px",
        min_width="0",
        data_testid="message",
        data_message_id=message.id,
        data_mine=rx.cond(message.is_mine, "true", "false"),
    )
    menu = rx.cond(
        message.is_deleted,
        body,
        rx.context_menu.root(
            rx.context_menu.trigger(body),
            rx.context_menu.content(
                rx.context_menu.item(t("message.copy"), on_select=state.copy_text(message.text)),
                rx.cond(
                    _may_change(message, state),
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


def _entry(
    message: rx.Var[MessageView],
    state: type[rx.State],
    open_link: rx.EventHandler | None,
    mark_bot: bool,
) -> rx.Component:
    """A bubble with the date (P3) and dialog (P5) separators that go around it."""
    return rx.fragment(
        rx.cond(message.day_break != "", _separator(message.day_break, "day-break")),
        rx.cond(message.dialog_before != "", _separator(message.dialog_before, "dialog-break")),
        bubble(message, state, open_link=open_link, mark_bot=mark_bot),
        rx.cond(message.dialog_after != "", _separator(message.dialog_after, "dialog-break")),
    )


def message_list(
    state: type[rx.State],
    empty: str,
    *,
    open_link: rx.EventHandler | None = None,
    mark_bot: bool = False,
) -> rx.Component:
    """The settled window, then the messages that arrived live, in order (P1)."""
    messages = state.messages  # type: ignore[attr-defined]
    fresh = state.fresh  # type: ignore[attr-defined]
    return rx.cond(
        (messages.length() + fresh.length()) > 0,
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
            rx.foreach(messages, lambda m: _entry(m, state, open_link, mark_bot)),
            rx.foreach(fresh, lambda m: _entry(m, state, open_link, mark_bot)),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        rx.text(empty, color_scheme="gray", size="2"),
    )


def _hidden_action(action: str, event: rx.EventHandler) -> rx.Component:
    """A button chat.js presses: the browser decides when (read marks, typing)."""
    return rx.el.button(
        type="button",
        hidden=True,
        tab_index=-1,
        aria_hidden="true",
        on_click=event,
        custom_attrs={"data-chat-action": action},
    )


def conversation_frame(
    state: type[rx.State], *children: rx.Component, testid: str, grow: bool = False, **scroll_props: object
) -> rx.Component:
    """The conversation's scroll container, kept at the newest message by chat.js (P1), with the
    «Новые сообщения ↓» button over its bottom edge and the hooks for read marks (M11) and typing (P6)."""
    return rx.box(
        rx.script(src="/chat.js"),
        rx.box(
            *children,
            overflow_y="auto",
            overflow_x="hidden",
            height="100%",
            width="100%",
            custom_attrs={"data-chat-scroll": "true"},
            data_testid=testid,
            **scroll_props,
        ),
        # A plain div: chat.js shows it with an inline display, which no theme class overrides.
        rx.el.div(
            rx.button(
                t("message.new_below"), type="button", size="1", radius="full", box_shadow="var(--shadow-3)"
            ),
            display="none",
            position="absolute",
            bottom="8px",
            left="50%",
            transform="translateX(-50%)",
            custom_attrs={"data-chat-new-below": "true"},
            data_testid="new-below",
        ),
        _hidden_action("mark-read", state.mark_read),  # type: ignore[attr-defined]
        _hidden_action("typing", state.typing),  # type: ignore[attr-defined]
        position="relative",
        width="100%",
        min_height="0",
        flex="1" if grow else "none",
        custom_attrs={"data-chat-frame": "true"},
    )


def typing_indicator(state: type[rx.State]) -> rx.Component:
    """«Клиент печатает…»: chat.js shows it only until ``typing_until`` (epoch ms) passes (P6)."""
    label = state.typing_label  # type: ignore[attr-defined]
    return rx.cond(
        label != "",
        rx.el.div(
            rx.text(label, size="1", color_scheme="gray", font_style="italic"),
            display="none",
            aria_live="polite",
            custom_attrs={"data-typing-until": state.typing_until},  # type: ignore[attr-defined]
            data_testid="typing",
        ),
    )
