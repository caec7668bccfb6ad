from __future__ import annotations

import reflex as rx

from chat_crm.components.composer import composer
from chat_crm.components.layout import crm_layout
from chat_crm.components.message_list import message_list
from chat_crm.services.chats import HistoryEntry
from chat_crm.states.chat_card import ChatCardState
from chat_crm.texts import t

card = ChatCardState.card


def _field(label: str, value: rx.Var | str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", min_width="170px"),
        rx.text(value, size="2"),
        spacing="3",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), *children, spacing="2"), width="100%")


def _history_row(entry: rx.Var[HistoryEntry]) -> rx.Component:
    return rx.box(
        rx.text(entry.when, " · ", entry.who, size="1", color_scheme="gray"),
        rx.text(entry.what, ": ", entry.old, " → ", entry.new, size="2"),
        rx.cond(entry.note != "", rx.text(entry.note, size="1", color_scheme="gray")),
        data_testid="history-entry",
    )


def _side_panel() -> rx.Component:
    return rx.vstack(
        _section(
            t("card.info"),
            _field(t("card.unit_status"), card.unit_status),
            _field(t("card.created"), card.created),
            _field(t("card.updated"), card.updated),
            _field(t("card.channel"), card.channel),
        ),
        rx.cond(
            card.client_authorized,
            _section(
                t("card.client"),
                _field("ФИО", card.client_name),
                _field(t("card.phone"), card.client_phone),
            ),
        ),
        _section(
            t("card.manage"),
            _field(t("card.unit"), card.unit),
            _field(t("card.topic"), card.topic),
            _field(t("card.department"), card.department),
            _field(t("card.responsible"), card.responsible),
            _field(t("card.comment"), card.comment),
        ),
        _section(
            t("card.history"),
            rx.cond(
                ChatCardState.history.length() > 0,
                rx.vstack(rx.foreach(ChatCardState.history, _history_row), spacing="2"),
                rx.text(t("card.no_history"), size="2", color_scheme="gray"),
            ),
        ),
        width="380px",
        flex_shrink="0",
    )


def _composer() -> rx.Component:
    return rx.cond(
        ChatCardState.can_send,
        composer(
            draft=ChatCardState.draft,
            on_change=ChatCardState.set_draft,
            on_submit=ChatCardState.send,
            placeholder=t("composer.placeholder"),
            send_label=t("composer.send"),
            multiline=True,
        ),
        rx.callout(t("composer.read_only"), color_scheme="gray"),
    )


def _conversation() -> rx.Component:
    return _section(
        t("card.conversation"),
        rx.box(
            message_list(ChatCardState.messages, mine_kind="staff", empty=t("card.no_messages")),
            max_height="60vh",
            overflow_y="auto",
            width="100%",
            id="conversation",
        ),
        rx.cond(ChatCardState.error != "", rx.callout(ChatCardState.error, color_scheme="red", role="alert")),
        _composer(),
    )


def chat_card_page() -> rx.Component:
    return crm_layout(
        rx.link("← " + t("card.back"), href="/support/chats", size="2"),
        rx.cond(
            card,
            rx.hstack(
                _side_panel(),
                rx.box(_conversation(), flex="1"),
                align="start",
                spacing="4",
                margin_top="12px",
            ),
            rx.cond(ChatCardState.error != "", rx.callout(ChatCardState.error, color_scheme="red")),
        ),
        title=rx.cond(card, "Чат №" + card.number.to_string(), t("nav.chat")),
    )
