from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout
from chat_crm.services.chats import ChatRow
from chat_crm.states.chat_list import ChatListState
from chat_crm.texts import t

COLUMNS = ("number", "client", "topic", "project", "responsible", "channel", "created", "updated", "labels")


def _row(row: rx.Var[ChatRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row.number, href=f"/support/chats/{row.id}")),
        rx.table.cell(rx.link(row.client_name, href=f"/support/chats/{row.id}")),
        rx.table.cell(row.topic),
        rx.table.cell(row.project),
        rx.table.cell(row.responsible),
        rx.table.cell(row.channel),
        rx.table.cell(row.created),
        rx.table.cell(row.updated),
        rx.table.cell(rx.cond(row.unread > 0, rx.badge(row.unread, color_scheme="amber"))),
        # L6: chats with new client messages are highlighted yellow.
        background=rx.cond(row.unread > 0, "var(--amber-3)", "transparent"),
        data_testid="chat-row",
    )


def chat_list_page() -> rx.Component:
    return crm_layout(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(t("list.tab_all"), value="all"),
                rx.tabs.trigger(t("list.tab_new"), value="new"),
            ),
            value=ChatListState.tab,
            on_change=ChatListState.set_tab,
        ),
        rx.cond(
            ChatListState.tab == "all",
            rx.input(
                placeholder=t("list.search"),
                value=ChatListState.search,
                on_change=ChatListState.set_search.debounce(300),
                width="420px",
                margin_y="12px",
            ),
        ),
        rx.cond(ChatListState.error != "", rx.callout(ChatListState.error, color_scheme="red")),
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(t(f"list.col_{c}")) for c in COLUMNS])
            ),
            rx.table.body(rx.foreach(ChatListState.rows, _row)),
            width="100%",
            size="1",
        ),
        rx.cond(ChatListState.total == 0, rx.text(t("list.empty"), color_scheme="gray")),
        rx.hstack(
            rx.button(
                t("list.prev"),
                on_click=ChatListState.prev_page,
                disabled=ChatListState.page <= 1,
                variant="soft",
            ),
            rx.text(
                "Страница ",
                ChatListState.page,
                " из ",
                ChatListState.pages,
                " · чатов: ",
                ChatListState.total,
                size="2",
            ),
            rx.button(
                t("list.next"),
                on_click=ChatListState.next_page,
                disabled=ChatListState.page >= ChatListState.pages,
                variant="soft",
            ),
            align="center",
            margin_top="12px",
        ),
        title=t("nav.chat"),
    )
