from __future__ import annotations

from typing import Any

import reflex as rx

from chat_crm.components.layout import crm_layout, error_callout
from chat_crm.pages.crm.settings_canned import canned_tab
from chat_crm.pages.crm.settings_routing import routing_tab
from chat_crm.services.bot_settings import RESTART_UNITS, TEXT_FIELDS, TopicSummary
from chat_crm.services.settings import Option
from chat_crm.services.timefmt import plural
from chat_crm.states.admin import SupportSettingsState
from chat_crm.states.bot_settings import BotSettingsState, RuleDraft
from chat_crm.texts import t


def _form_footer(state: type[rx.State], save_label: str) -> tuple[rx.Component, rx.Component]:
    """A tab's general error, its «Сохранить» and the «Настройки сохранены» notice."""
    form_error, saved = state.form_error, state.saved  # type: ignore[attr-defined]
    return (
        error_callout(form_error),
        rx.hstack(
            rx.button(save_label, type="submit"),
            rx.cond(saved != "", rx.text(saved, color_scheme="green", size="2", role="status")),
            align="center",
            spacing="3",
        ),
    )


_LABEL_STYLE = {"fontSize": "14px"}


def _field_error(message: rx.Var[str], field_id: str) -> rx.Component:
    # role="alert" so a screen reader announces it; the id ties it to its input via aria-describedby.
    return rx.cond(
        message != "",
        rx.text(message, id=field_id, role="alert", color_scheme="red", size="2"),
    )


def _switch(label: str, checked: rx.Var[bool], on_change: rx.EventHandler) -> rx.Component:
    # Wrapped in <label> so the switch's accessible name is exactly the spec's label.
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change, aria_label=label),
            rx.text(label, size="2"),
            align="center",
            spacing="2",
        ),
        cursor="pointer",
    )


def _text_field(
    *,
    label: str,
    name: str,
    value: rx.Var[str],
    on_change: rx.EventHandler,
    counter: rx.Var[str],
    error: rx.Var[str],
    multiline: bool,
) -> rx.Component:
    # No max_length here on purpose: the service is the authority and must be reachable (S11).
    field = rx.text_area if multiline else rx.input
    return rx.vstack(
        rx.hstack(
            rx.el.label(label, html_for=f"settings-{name}", style=_LABEL_STYLE),
            rx.spacer(),
            rx.text(counter, size="1", color_scheme="gray", data_testid=f"{name}-counter"),
            width="100%",
        ),
        field(
            id=f"settings-{name}",
            name=name,
            value=value,
            on_change=on_change,
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
            **({"rows": "3"} if multiline else {}),
        ),
        _field_error(error, f"{name}-error"),
        spacing="1",
        width="100%",
    )


def _select(
    *,
    label: str,
    value: rx.Var[str],
    on_change: rx.EventHandler,
    empty_label: str,
    options: rx.Var[list[Option]],
    error: rx.Var[str],
    name: str,
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"settings-{name}", style=_LABEL_STYLE),
        rx.el.select(
            rx.el.option(empty_label, value=""),
            rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
            id=f"settings-{name}",
            name=name,
            value=value,
            on_change=on_change,
            aria_label=label,
            aria_describedby=f"{name}-error",
            style={"padding": "6px", "width": "100%", "maxWidth": "420px"},
        ),
        _field_error(error, f"{name}-error"),
        spacing="1",
        width="100%",
    )


def _group(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), *children, spacing="3", width="100%"), width="100%")


def _chat_tab() -> rx.Component:
    s = SupportSettingsState
    return rx.form(
        rx.vstack(
            _group(
                t("settings.display_group"),
                _switch(t("settings.show_in_storefront"), s.show_in_storefront, s.set_show_in_storefront),
                _switch(t("settings.consent_notice"), s.consent_notice, s.set_consent_notice),
            ),
            _group(
                t("settings.welcome_group"),
                _text_field(
                    label=t("settings.welcome_title"),
                    name="welcome_title",
                    value=s.welcome_title,
                    on_change=s.set_welcome_title,
                    counter=s.title_counter,
                    error=s.title_error,
                    multiline=False,
                ),
                _text_field(
                    label=t("settings.welcome_text"),
                    name="welcome_text",
                    value=s.welcome_text,
                    on_change=s.set_welcome_text,
                    counter=s.text_counter,
                    error=s.text_error,
                    multiline=True,
                ),
            ),
            _group(
                t("settings.responsible_group"),
                _select(
                    label=t("settings.department"),
                    name="department",
                    value=s.department,
                    on_change=s.set_department,
                    empty_label=t("settings.department_none"),
                    options=s.departments,
                    error=s.department_error,
                ),
                _select(
                    label=t("settings.employee"),
                    name="employee",
                    value=s.employee,
                    on_change=s.set_employee,
                    empty_label=t("settings.employee_any"),
                    options=s.employees,
                    error=s.employee_error,
                ),
            ),
            *_form_footer(s, t("settings.save")),
            spacing="4",
            max_width="640px",
            padding_top="12px",
        ),
        on_submit=s.save,
    )


# ---- tab «Чат-бот» (S5–S11) ----------------------------------------------------------------------


def _alert(message: rx.Var[str]) -> rx.Component:
    return rx.cond(message != "", rx.text(message, role="alert", color_scheme="red", size="2"))


def _native_select(
    *,
    label: str,
    value: rx.Var[str],
    on_change: Any,
    options: rx.Var[list[Option]],
    empty_label: str | None = None,
) -> rx.Component:
    # Wrapped in its <label>: several rules carry the same labels, and ids would have to be made unique.
    return rx.el.label(
        rx.text(label, size="2"),
        rx.el.select(
            *([rx.el.option(empty_label, value="")] if empty_label is not None else []),
            rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
            value=value,
            on_change=on_change,
            aria_label=label,
            style={"padding": "6px", "width": "100%", "maxWidth": "420px"},
        ),
        style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
    )


def _rule_fieldset(rule: rx.Var[RuleDraft], index: rx.Var[int]) -> rx.Component:
    s = BotSettingsState
    projects = rx.el.div(
        rx.foreach(
            s.projects,
            lambda p: rx.checkbox(
                p.label,
                checked=rule.project_ids.contains(p.value),
                on_change=lambda checked: s.set_rule_project(index, p.value, checked),
            ),
        ),
        role="group",
        aria_label=t("bot_settings.projects"),
        style={"display": "flex", "flexDirection": "column", "gap": "6px"},
    )
    return rx.el.fieldset(
        rx.el.legend(rule.title, style={"fontWeight": "600", "padding": "0 4px"}),
        rx.vstack(
            rx.text(t("bot_settings.projects"), size="2"),
            projects,
            _alert(rule.projects_error),
            _native_select(
                label=t("bot_settings.department"),
                value=rule.department,
                on_change=lambda v: s.set_rule_department(index, v),
                options=s.departments,
                empty_label=t("bot_settings.department_none"),
            ),
            _alert(rule.department_error),
            _native_select(
                label=t("bot_settings.employee"),
                value=rule.employee,
                on_change=lambda v: s.set_rule_employee(index, v),
                options=rule.employees,
                empty_label=t("bot_settings.employee_any"),
            ),
            _alert(rule.employee_error),
            rx.button(
                t("bot_settings.remove_rule"),
                type="button",
                variant="soft",
                color_scheme="red",
                on_click=s.remove_rule(index),
            ),
            spacing="2",
            width="100%",
        ),
        style={
            "border": "1px solid var(--gray-6)",
            "borderRadius": "8px",
            "padding": "12px",
            "width": "100%",
        },
    )


def _rule_editor() -> rx.Component:
    """The pencil's modal (S6): nothing is written before its own «Сохранить»."""
    s = BotSettingsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(s.editor_title),
            rx.dialog.description(t("bot_settings.topics_hint"), size="2", color_scheme="gray"),
            rx.vstack(
                rx.foreach(s.rules, _rule_fieldset),
                rx.cond(s.rules.length() == 0, rx.text(t("bot_settings.no_rules"), size="2")),
                rx.button(t("bot_settings.add_rule"), type="button", variant="soft", on_click=s.add_rule),
                error_callout(s.editor_error),
                rx.hstack(
                    rx.button(
                        t("bot_settings.cancel"),
                        type="button",
                        variant="soft",
                        color_scheme="gray",
                        on_click=s.cancel_editor,
                    ),
                    rx.button(t("bot_settings.save"), type="button", on_click=s.save_rules),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                padding_top="12px",
                width="100%",
            ),
            max_width="640px",
            max_height="85vh",
            overflow_y="auto",
        ),
        open=s.editor_open,
        on_open_change=s.editor_open_change,
    )


def _topic_row(topic: rx.Var[TopicSummary]) -> rx.Component:
    s = BotSettingsState
    return rx.vstack(
        rx.hstack(
            rx.text(topic.label, weight="medium", min_width="140px"),
            rx.text(topic.summary, size="2", color_scheme=rx.cond(topic.configured, "green", "gray")),
            rx.spacer(),
            rx.icon_button(
                rx.icon("pencil", size=16),
                type="button",  # inside the form: a pencil must not submit it
                variant="ghost",
                aria_label=topic.edit_label,
                title=topic.edit_label,
                on_click=s.open_editor(topic.topic),
            ),
            align="center",
            width="100%",
            data_testid="topic-row",
        ),
        # S7: «Приемка» only; saved with the tab's form.
        rx.cond(
            topic.topic == "acceptance",
            _switch(
                t("bot_settings.acceptance_unit_responsible"),
                s.acceptance_uses_unit_responsible,
                s.set_acceptance_uses_unit_responsible,
            ),
        ),
        spacing="1",
        width="100%",
    )


def _bot_text(field: str) -> rx.Component:
    s = BotSettingsState
    return _text_field(
        label=t(f"bot_settings.{field}"),
        name=field,
        value=s.texts[field],
        on_change=lambda v: s.set_text(field, v),  # type: ignore[arg-type]
        counter=s.counters[field],
        error=s.errors[field],
        multiline=True,
    )


def _unit_word(unit: str, count: rx.Var[str]) -> rx.Var[str]:
    """The unit in the form the typed number asks for: «1 день», «2 дня», «5 дней» (P3).

    Russian plural forms of a whole number depend only on it modulo 100, so the browser
    picks from the hundred words ``plural`` gives (JavaScript's % reads the typed text as a number).
    """
    forms = (
        t(f"bot_settings.unit.{unit}.one"),
        t(f"bot_settings.unit.{unit}.few"),
        t(f"bot_settings.unit.{unit}"),
    )
    words = [plural(n, forms).split(" ", 1)[1] for n in range(100)]
    return rx.Var.create(words)[count.to(int) % 100]


def _restart_field() -> rx.Component:
    s = BotSettingsState
    units = [rx.el.option(_unit_word(unit, s.restart_value), value=unit) for unit in reversed(RESTART_UNITS)]
    return rx.vstack(
        rx.el.label(t("bot_settings.restart"), html_for="settings-restart_value", style=_LABEL_STYLE),
        rx.hstack(
            # A number, not max/min-bound: the server says what is allowed (S10, S11).
            rx.input(
                id="settings-restart_value",
                name="restart_value",
                type="number",
                value=s.restart_value,
                on_change=s.set_restart_value,
                width="120px",
                aria_invalid=rx.cond(s.errors["restart"] != "", "true", "false"),
                aria_describedby="restart-error",
            ),
            rx.el.select(
                *units,
                value=s.restart_unit,
                on_change=s.set_restart_unit,
                aria_label=t("bot_settings.restart_unit"),
                style={"padding": "6px"},
            ),
            align="center",
        ),
        _field_error(s.errors["restart"], "restart-error"),
        spacing="1",
        width="100%",
    )


def _bot_tab() -> rx.Component:
    s = BotSettingsState
    start_texts = [f for f in TEXT_FIELDS if f not in ("resolved_text", "no_reply_text")]
    return rx.fragment(
        rx.form(
            rx.vstack(
                _group(
                    t("bot_settings.topics_group"),
                    _switch(t("bot_settings.enabled"), s.enabled, s.set_enabled),
                    _field_error(s.errors["enabled"], "enabled-error"),
                    rx.text(t("bot_settings.topics_hint"), size="2", color_scheme="gray"),
                    rx.foreach(s.topics, _topic_row),
                ),
                _group(
                    t("bot_settings.start_group"),
                    _select(
                        label=t("bot_settings.greeting_employee"),
                        name="greeting_employee",
                        value=s.greeting_employee,
                        on_change=s.set_greeting_employee,
                        empty_label=t("bot_settings.greeting_employee_none"),
                        options=s.employees,
                        error=s.errors["greeting_employee"],
                    ),
                    *[_bot_text(f) for f in start_texts],
                ),
                _group(
                    t("bot_settings.end_group"),
                    _bot_text("resolved_text"),
                    _bot_text("no_reply_text"),
                    _restart_field(),
                ),
                *_form_footer(s, t("bot_settings.save")),
                spacing="4",
                max_width="640px",
                padding_top="12px",
            ),
            on_submit=s.save,
        ),
        # Outside the form: the modal's buttons must not submit the tab.
        _rule_editor(),
    )


def support_settings_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            SupportSettingsState.error != "",
            rx.callout(SupportSettingsState.error, color_scheme="red"),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(t("settings.tab_chat"), value="chat"),
                    # S5: no product, no tab (the services refuse its events as well).
                    rx.cond(BotSettingsState.available, rx.tabs.trigger(t("settings.tab_bot"), value="bot")),
                    rx.tabs.trigger(t("settings.tab_canned"), value="canned"),
                    rx.tabs.trigger(t("settings.tab_routing"), value="routing"),
                ),
                rx.tabs.content(_chat_tab(), value="chat"),
                rx.cond(BotSettingsState.available, rx.tabs.content(_bot_tab(), value="bot")),
                rx.tabs.content(canned_tab(), value="canned"),
                rx.tabs.content(routing_tab(), value="routing"),
                default_value="chat",
            ),
        ),
        title=t("nav.settings"),
    )
