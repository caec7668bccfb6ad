"""Tab «Шаблоны ответов» of «Поддержка» → «Настройки» (P13): list, search, add, edit, delete."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import error_callout
from chat_crm.services.canned_replies import CannedReplyView
from chat_crm.states.canned_replies import CannedRepliesState
from chat_crm.texts import t

_LABEL_STYLE = {"fontSize": "14px"}


def _error(message: rx.Var[str], field_id: str) -> rx.Component:
    return rx.cond(message != "", rx.text(message, id=field_id, role="alert", color_scheme="red", size="2"))


def _row(reply: rx.Var[CannedReplyView]) -> rx.Component:
    s = CannedRepliesState
    return rx.table.row(
        rx.table.cell(rx.text(reply.title, weight="medium")),
        # white-space: pre-wrap shows the template's lines; it is text, never markup.
        rx.table.cell(rx.text(reply.text, size="2", white_space="pre-wrap", max_width="420px")),
        rx.table.cell(rx.badge(reply.scope_label, variant="soft")),
        rx.table.cell(rx.text(reply.updated, size="1", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    size="1",
                    variant="ghost",
                    type="button",
                    aria_label=f"{t('canned.edit')} «{reply.title}»",
                    title=t("canned.edit"),
                    on_click=s.open_edit(reply.id),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    type="button",
                    aria_label=f"{t('canned.delete')} «{reply.title}»",
                    title=t("canned.delete"),
                    on_click=s.ask_delete(reply.id),
                ),
                spacing="3",
            )
        ),
        data_testid="canned-row",
    )


def _table() -> rx.Component:
    s = CannedRepliesState
    return rx.cond(
        s.replies.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(t("canned.col_title")),
                    rx.table.column_header_cell(t("canned.col_text")),
                    rx.table.column_header_cell(t("canned.col_scope")),
                    rx.table.column_header_cell(t("canned.col_updated")),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(s.replies, _row)),
            width="100%",
        ),
        rx.cond(
            s.loaded,
            rx.text(
                rx.cond(s.search != "", t("canned.nothing_found"), t("canned.empty")), color_scheme="gray"
            ),
        ),
    )


def _title_field() -> rx.Component:
    s = CannedRepliesState
    return rx.vstack(
        rx.el.label(t("canned.title"), html_for="canned-title", style=_LABEL_STYLE),
        rx.input(
            id="canned-title",
            name="title",
            value=s.title,
            on_change=s.set_title,
            width="100%",
            aria_invalid=rx.cond(s.title_error != "", "true", "false"),
            aria_describedby="canned-title-error",
        ),
        _error(s.title_error, "canned-title-error"),
        spacing="1",
        width="100%",
    )


def _text_field() -> rx.Component:
    s = CannedRepliesState
    return rx.vstack(
        rx.hstack(
            rx.el.label(t("canned.text"), html_for="canned-text", style=_LABEL_STYLE),
            rx.spacer(),
            rx.text(s.text_counter, size="1", color_scheme="gray"),
            width="100%",
        ),
        rx.text_area(
            id="canned-text",
            name="text",
            value=s.text,
            on_change=s.set_text,
            rows="5",
            width="100%",
            aria_invalid=rx.cond(s.text_error != "", "true", "false"),
            aria_describedby="canned-text-error canned-hint",
        ),
        _error(s.text_error, "canned-text-error"),
        spacing="1",
        width="100%",
    )


def _scope_field() -> rx.Component:
    s = CannedRepliesState
    return rx.vstack(
        rx.el.label(t("canned.scope"), html_for="canned-scope", style=_LABEL_STYLE),
        rx.el.select(
            rx.foreach(s.scopes, lambda o: rx.el.option(o.label, value=o.value)),
            id="canned-scope",
            name="scope",
            value=s.scope,
            on_change=s.set_scope,
            aria_describedby="canned-scope-error",
            style={"padding": "6px", "width": "100%"},
        ),
        _error(s.scope_error, "canned-scope-error"),
        spacing="1",
        width="100%",
    )


def _editor() -> rx.Component:
    s = CannedRepliesState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(s.editor_heading),
            rx.form(
                rx.vstack(
                    _title_field(),
                    _text_field(),
                    rx.text(t("canned.hint"), size="1", color_scheme="gray"),
                    _scope_field(),
                    error_callout(s.form_error),
                    rx.hstack(
                        rx.button(
                            t("canned.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=s.close_editor,
                        ),
                        rx.button(t("canned.save"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.save,
            ),
            max_width="560px",
        ),
        open=s.editor_open,
        on_open_change=s.editor_open_change,
    )


def _delete_dialog() -> rx.Component:
    s = CannedRepliesState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(s.delete_question),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("canned.cancel"), variant="soft", color_scheme="gray", on_click=s.cancel_delete
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(t("canned.delete"), color_scheme="red", on_click=s.confirm_delete)
                ),
                justify="end",
                spacing="3",
                padding_top="12px",
            ),
        ),
        open=s.deleting_id > 0,
        on_open_change=s.delete_open_change,
    )


def canned_tab() -> rx.Component:
    s = CannedRepliesState
    return rx.vstack(
        rx.text(t("canned.hint"), id="canned-hint", size="2", color_scheme="gray"),
        rx.hstack(
            rx.input(
                value=s.search,
                on_change=s.set_search,
                debounce_timeout=300,  # one search per pause, not per keystroke
                placeholder=t("canned.search"),
                aria_label=t("canned.search"),
                width="320px",
            ),
            rx.button(rx.icon("plus", size=16), t("canned.add"), type="button", on_click=s.open_new),
            spacing="3",
            align="center",
            flex_wrap="wrap",
        ),
        error_callout(s.list_error),
        rx.cond(s.notice != "", rx.text(s.notice, color_scheme="green", size="2", role="status")),
        _table(),
        _editor(),
        _delete_dialog(),
        spacing="4",
        padding_top="12px",
        width="100%",
    )
