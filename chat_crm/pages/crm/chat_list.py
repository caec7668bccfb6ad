"""«Поддержка» → «Чат»: tabs with counts, «Фильтры», sortable and hideable columns,
«Экспорт», and the live rows (L2–L7, P8, P9). inbox.js does the browser's part."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout
from chat_crm.services.inbox import ChatRow, Choice
from chat_crm.services.list_query import COLUMNS
from chat_crm.states.chat_list import ChatListState as S
from chat_crm.texts import t

SKELETON_ROWS = 8

# At 390 px the table becomes one card per chat (no sideways scroll); a hidden column
# (L4) is hidden in both forms.
STYLE = """
.inbox-hidden { display: none !important; }
.inbox-row { cursor: pointer; }
.inbox-row:hover { filter: brightness(0.97); }
.inbox-sort { all: unset; cursor: pointer; font-weight: 600; white-space: nowrap; }
.inbox-preview { display: block; color: var(--gray-10); font-size: 12px; max-width: 340px;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media (max-width: 640px) {
  .inbox-table, .inbox-table tbody, .inbox-table tr, .inbox-table td { display: block; width: 100%; }
  .inbox-table thead { display: none; }
  .inbox-table tr { border: 1px solid var(--gray-5); border-radius: 8px; margin-bottom: 8px; padding: 6px 0; }
  .inbox-table td { box-shadow: none; padding: 2px 10px; }
  .inbox-table td::before { content: attr(data-label); color: var(--gray-10); font-size: 12px;
    display: inline-block; min-width: 110px; }
  .inbox-preview { max-width: 100%; white-space: normal; }
}
"""


def _hide(column: str) -> rx.Var:
    return rx.cond(S.hidden.contains(column), "inbox-hidden", "")


def _cell(column: str, *children: rx.Component | rx.Var) -> rx.Component:
    return rx.table.cell(*children, class_name=_hide(column), data_label=t(f"list.col_{column}"))


def _row(row: rx.Var[ChatRow]) -> rx.Component:
    href = f"/support/chats/{row.id}"
    return rx.table.row(
        _cell("number", rx.link(row.number, href=href)),
        _cell(
            "client",
            rx.link(row.client_name, href=href),
            rx.el.span(row.preview, class_name="inbox-preview", data_testid="chat-preview"),
        ),
        _cell("topic", row.topic),
        _cell("project", row.project),
        _cell("responsible", row.responsible),
        _cell("channel", row.channel),
        _cell("created", row.created),
        _cell("updated", row.updated),
        _cell("labels", rx.cond(row.unread > 0, rx.badge(row.unread, color_scheme="amber"))),
        # L6: chats with new client messages are yellow; the row that just moved is marked too.
        background=rx.cond(row.unread > 0, "var(--amber-3)", "transparent"),
        box_shadow=rx.cond(row.id == S.flash_id, "inset 4px 0 0 var(--amber-9)", "none"),
        class_name="inbox-row",
        # P8: the whole row opens the card.
        on_click=rx.redirect(href),
        data_testid="chat-row",
        data_chat_id=row.id,
    )


def _skeleton_row(_index: rx.Var[int]) -> rx.Component:
    return rx.table.row(
        *[rx.table.cell(rx.skeleton(rx.text("…"), loading=True)) for _ in COLUMNS],
        data_testid="chat-row-skeleton",
    )


def _header(column: str) -> rx.Component:
    label = t(f"list.col_{column}")
    arrow = rx.cond(S.sort == column, rx.cond(S.desc, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.el.button(
            label,
            arrow,
            class_name="inbox-sort",
            on_click=S.sort_by(column),
            title=t("inbox.sort_by", column=label),
        ),
        class_name=_hide(column),
    )


def _select(label: str, name: str, value: rx.Var, options: rx.Var | list[Choice]) -> rx.Component:
    items = (
        [rx.el.option(o.label, value=o.value) for o in options]
        if isinstance(options, list)
        else [rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value))]
    )
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.el.select(
            rx.el.option(t("inbox.any"), value=""),
            *items,
            value=value,
            on_change=lambda v: S.set_filter(name, v),
            aria_label=label,
            style={"padding": "4px 6px", "border": "1px solid var(--gray-6)", "border-radius": "6px"},
        ),
        spacing="1",
    )


def _dates(label: str, field: str, low: rx.Var, high: rx.Var) -> rx.Component:
    def box(suffix: str, value: rx.Var) -> rx.Component:
        name = f"{field}_{suffix}"
        return rx.el.input(
            type="date",
            value=value,
            on_change=lambda v: S.set_filter(name, v),
            aria_label=f"{label} {t('inbox.f_' + ('from' if suffix == 'from' else 'to'))}",
            style={"padding": "3px 6px", "border": "1px solid var(--gray-6)", "border-radius": "6px"},
        )

    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.hstack(box("from", low), rx.text("—"), box("to", high), align="center", spacing="1"),
        spacing="1",
    )


def _filters() -> rx.Component:
    c = S.choices
    states = [Choice("open", t("inbox.state_open")), Choice("closed", t("inbox.state_closed"))]
    return rx.flex(
        _select(t("inbox.f_topic"), "topic", S.topic, c.topics),
        _select(t("inbox.f_project"), "project", S.project, c.projects),
        _select(t("inbox.f_building"), "building", S.building, c.buildings),
        _dates(t("inbox.f_created"), "created", S.created_from, S.created_to),
        _dates(t("inbox.f_updated"), "updated", S.updated_from, S.updated_to),
        _select(t("inbox.f_responsible"), "responsible", S.responsible, c.responsibles),
        _select(t("inbox.f_department"), "department", S.department, c.departments),
        _select(t("inbox.f_channel"), "channel", S.channel, c.channels),
        _select(t("inbox.f_state"), "state", S.dialog, states),
        rx.checkbox(
            t("inbox.f_unread"), checked=S.unread, on_change=lambda v: S.set_filter("unread", v), size="2"
        ),
        rx.button(t("inbox.reset"), variant="soft", color_scheme="gray", on_click=S.reset_filters),
        gap="12px",
        wrap="wrap",
        align="end",
        padding="12px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
        margin_bottom="12px",
        data_testid="filters",
    )


def _scope_button(label: str, scope: str) -> rx.Component:
    return rx.button(
        label,
        variant=rx.cond(S.scope == scope, "solid", "soft"),
        on_click=S.set_filter("scope", scope),
        size="1",
    )


def _columns_menu() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(rx.button(t("inbox.columns"), variant="soft", size="2")),
        rx.popover.content(
            rx.vstack(
                *[
                    rx.checkbox(
                        t(f"list.col_{c}"),
                        checked=~S.hidden.contains(c),
                        on_change=lambda _v, c=c: S.toggle_column(c),
                    )
                    for c in COLUMNS
                ],
                spacing="2",
            )
        ),
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.input(
            placeholder=t("list.search"),
            value=S.search,
            on_change=S.set_search.debounce(300),
            width="100%",
            max_width="420px",
        ),
        rx.button(
            t("inbox.filters"), variant=rx.cond(S.filters_open, "solid", "soft"), on_click=S.toggle_filters
        ),
        _columns_menu(),
        rx.button(
            rx.cond(S.exporting, t("inbox.export") + "…", t("inbox.export")),
            on_click=S.export,
            disabled=S.exporting,
            variant="soft",
        ),
        rx.cond(
            S.exporting,
            rx.text(
                f"{t('inbox.export')}: ",
                S.export_done,
                f" {t('inbox.of')} ",
                S.export_total,
                size="2",
                data_testid="export-progress",
            ),
        ),
        gap="8px",
        wrap="wrap",
        align="center",
        margin_y="12px",
    )


def _tab(label: str, value: str, count: rx.Var) -> rx.Component:
    return rx.tabs.trigger(
        rx.hstack(
            rx.text(label), rx.text(count, color_scheme="gray", data_testid=f"tab-count-{value}"), spacing="2"
        ),
        value=value,
    )


def _alerts() -> rx.Component:
    """P9 and the title count: inbox.js watches these and does the browser's part."""
    return rx.fragment(
        rx.script(src="/inbox.js"),
        rx.el.span(
            id="inbox-state",
            data_base_title=t("inbox.page_title"),
            data_unread=S.count_new,
            data_alert_seq=S.alert_seq,
            data_alert_title=S.alert_title,
            data_alert_body=S.alert_body,
            data_chat_id=S.flash_id,
            style={"display": "none"},
        ),
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(t("list.prev"), on_click=S.prev_page, disabled=S.page <= 1, variant="soft"),
        rx.text(
            f"{t('inbox.page')} ",
            S.page,
            f" {t('inbox.of')} ",
            S.pages,
            rx.cond(S.more, "+", ""),
            f" · {t('inbox.chats')}: ",
            S.total,
            rx.cond(S.more, "+", ""),
            size="2",
        ),
        rx.button(
            t("list.next"), on_click=S.next_page, disabled=(S.page >= S.pages) & ~S.more, variant="soft"
        ),
        align="center",
        margin_top="12px",
        flex_wrap="wrap",
    )


def chat_list_page() -> rx.Component:
    return rx.box(_page(), on_unmount=S.leave)


def _page() -> rx.Component:
    return crm_layout(
        rx.el.style(STYLE),
        _alerts(),
        rx.flex(
            rx.tabs.root(
                rx.tabs.list(
                    _tab(t("list.tab_all"), "all", S.count_all),
                    _tab(t("list.tab_new"), "new", S.count_new),
                ),
                value=S.tab,
                on_change=S.set_tab,
            ),
            rx.spacer(),
            rx.button(
                t("inbox.alerts_on"),
                variant="ghost",
                size="1",
                id="inbox-alerts-button",
                data_enabled_label=t("inbox.alerts_enabled"),
                on_click=rx.call_script("window.chatInbox && window.chatInbox.enable()"),
            ),
            align="center",
            wrap="wrap",
            gap="8px",
        ),
        rx.cond(
            S.tab == "all",
            rx.box(
                _toolbar(),
                rx.hstack(
                    _scope_button(t("inbox.view_all"), ""),
                    _scope_button(t("inbox.view_mine"), "mine"),
                    _scope_button(t("inbox.view_unassigned"), "unassigned"),
                    spacing="2",
                    margin_bottom="8px",
                    flex_wrap="wrap",
                ),
                rx.cond(S.filters_open, _filters()),
            ),
        ),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red")),
        rx.table.root(
            rx.table.header(rx.table.row(*[_header(c) for c in COLUMNS])),
            rx.table.body(
                rx.cond(
                    S.loading,
                    rx.foreach(list(range(SKELETON_ROWS)), _skeleton_row),
                    rx.foreach(S.rows, _row),
                )
            ),
            width="100%",
            size="1",
            class_name="inbox-table",
        ),
        rx.cond(~S.loading & (S.total == 0), rx.text(t("list.empty"), color_scheme="gray")),
        rx.cond(~S.loading, _pager()),
        title=t("nav.chat"),
    )
