from __future__ import annotations

import reflex as rx

from chat_crm.components.chat_card_blocks import section, side_panel
from chat_crm.components.composer import canned_picker, composer
from chat_crm.components.layout import crm_layout, error_callout
from chat_crm.components.message_list import conversation_frame, message_list, typing_indicator
from chat_crm.states.canned_replies import CannedPickerState
from chat_crm.states.chat_card import ChatCardState
from chat_crm.texts import t

card = ChatCardState.card


EMOJI = (
    "😀 😃 😄 😁 😊 🙂 😉 😍 🤝 👍 👌 🙏 👏 🎉 🔑 🏠 🏢 📄 📅 ⏰ "
    "✅ ❗ ❓ 💬 📞 ✉️ 💳 🛠️ 🚗 🌟 😔 😅 🤔 👋 🙌 💡 📌 🧾 🏗️ 🎁"
).split()

S = ChatCardState


def _emoji_picker() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(
                rx.icon("smile", size=18), type="button", variant="soft", aria_label=t("emoji.button")
            )
        ),
        rx.popover.content(
            rx.grid(
                *[
                    rx.button(
                        e, type="button", variant="ghost", size="2", on_click=S.add_emoji(e), aria_label=e
                    )
                    for e in EMOJI
                ],
                columns="8",
                spacing="1",
            ),
            data_testid="emoji-picker",
        ),
    )


# The browser's speech recognition, in Russian; resolves to the text heard, or "" on failure.
DICTATE_JS = """new Promise((resolve) => {
  const SR = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!SR) { resolve(""); return; }
  const r = new SR(); r.lang = "ru-RU"; r.interimResults = false; r.maxAlternatives = 1;
  r.onresult = (e) => resolve(e.results[0][0].transcript);
  r.onerror = () => resolve(""); r.onnomatch = () => resolve("");
  r.onend = () => resolve("");  // ended without a result: a no-op after onresult
  try { r.start(); } catch (err) { resolve(""); }
})"""


def _voice_button() -> rx.Component:
    return rx.cond(
        S.voice_supported,
        rx.icon_button(
            rx.icon("mic", size=18),
            type="button",
            variant="soft",
            aria_label=t("voice.button"),
            title=t("voice.button"),
            on_click=rx.call_script(DICTATE_JS, callback=S.dictated),
        ),
        rx.icon_button(
            rx.icon("mic-off", size=18),
            type="button",
            variant="soft",
            disabled=True,
            aria_label=t("voice.unsupported"),
            title=t("voice.unsupported"),
        ),
    )


def _link_picker() -> rx.Component:
    choices = S.link_choices
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(
                rx.icon("link", size=18), type="button", variant="soft", aria_label=t("link.button")
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text(t("link.kind"), size="2", weight="bold"),
                rx.el.select(
                    rx.el.option("—", value=""),
                    rx.foreach(choices.kinds, lambda o: rx.el.option(o.label, value=o.value)),
                    value=S.link_kind,
                    on_change=S.set_link_kind,
                    aria_label=t("link.kind"),
                    style={"padding": "4px", "width": "100%"},
                ),
                rx.cond(
                    S.link_needs_project,
                    rx.el.select(
                        rx.el.option("—", value=""),
                        rx.foreach(choices.projects, lambda o: rx.el.option(o.label, value=o.value)),
                        value=S.link_project,
                        on_change=S.set_link_project,
                        aria_label=t("link.project"),
                        style={"padding": "4px", "width": "100%"},
                    ),
                ),
                rx.cond(
                    S.link_error != "", rx.text(S.link_error, color_scheme="red", size="1", role="alert")
                ),
                rx.button(t("link.attach"), type="button", on_click=S.attach_link),
                spacing="2",
                width="260px",
            ),
        ),
        open=S.link_open,
        on_open_change=S.set_link_open,
    )


def _attached_link() -> rx.Component:
    return rx.cond(
        S.link_label != "",
        rx.hstack(
            rx.icon("link", size=16),
            rx.text(S.link_label, size="2"),
            rx.icon_button(
                rx.icon("x", size=14),
                size="1",
                variant="ghost",
                type="button",
                aria_label=t("link.remove"),
                on_click=S.remove_link,
            ),
            align="center",
            data_testid="attached-link",
        ),
    )


def _close_dialog() -> rx.Component:
    return rx.cond(
        card.dialog_open,
        rx.dropdown_menu.root(
            rx.dropdown_menu.trigger(rx.button(t("close.button"), variant="outline", type="button")),
            rx.dropdown_menu.content(
                rx.dropdown_menu.item(t("close.resolved"), on_select=S.close_dialog("resolved")),
                rx.dropdown_menu.item(t("close.no_reply"), on_select=S.close_dialog("no_reply")),
            ),
        ),
    )


def _composer() -> rx.Component:
    return rx.cond(
        S.can_send,
        rx.vstack(
            composer(
                state=S,
                upload_id="crm-file",
                placeholder=t("composer.placeholder"),
                send_label=t("composer.send"),
                multiline=True,
                tools=(_emoji_picker(), _voice_button(), _link_picker()),
                below=(_attached_link(), canned_picker(CannedPickerState.choices_json)),
            ),
            rx.hstack(_close_dialog(), justify="end", width="100%"),
            width="100%",
        ),
        rx.callout(t("composer.read_only"), color_scheme="gray"),
    )


def _conversation() -> rx.Component:
    return section(
        t("card.conversation"),
        conversation_frame(
            S,
            message_list(S, empty=t("card.no_messages"), mark_bot=True),
            testid="conversation",
            id="conversation",
            max_height=rx.breakpoints(initial="45vh", md="60vh"),  # a phone keeps the composer in view
            padding_right="4px",
        ),
        typing_indicator(S),
        error_callout(S.error),
        _composer(),
    )


def chat_card_page() -> rx.Component:
    return crm_layout(
        rx.link("← " + t("card.back"), href="/support/chats", size="2"),
        rx.cond(
            card,
            rx.flex(
                side_panel(),
                # min-width 0: a long word wraps inside the conversation instead of widening the page (P4).
                rx.box(_conversation(), flex="1", min_width="0", width="100%"),
                direction=rx.breakpoints(initial="column", md="row"),
                align="start",
                spacing="4",
                margin_top="12px",
                width="100%",
            ),
            rx.cond(ChatCardState.error != "", rx.callout(ChatCardState.error, color_scheme="red")),
        ),
        title=rx.cond(card, "Чат №" + card.number.to_string(), t("nav.chat")),
    )
