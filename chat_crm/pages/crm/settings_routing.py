"""«Поддержка» → «Настройки» → «Распределение» (P11, P12): one card per department."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import error_callout
from chat_crm.models import RoutingPolicy
from chat_crm.states.routing import RoutingRowForm, RoutingSettingsState
from chat_crm.texts import t

_FIELD = {"padding": "6px", "width": "100%", "maxWidth": "240px"}


def _label(text: str, field_id: rx.Var[str]) -> rx.Component:
    return rx.el.label(text, html_for=field_id, style={"fontSize": "14px"})


def _error(message: rx.Var[str], error_id: rx.Var[str]) -> rx.Component:
    return rx.cond(message != "", rx.text(message, id=error_id, role="alert", color_scheme="red", size="2"))


def _number_field(
    row: rx.Var[RoutingRowForm], kind: str, value: rx.Var[str], error: rx.Var[str]
) -> rx.Component:
    field_id = f"routing-{kind}-" + row.id
    label, hint = (
        t(f"routing.{'cap' if kind == 'cap' else 'reassign'}"),
        t(f"routing.{'cap' if kind == 'cap' else 'reassign'}_hint"),
    )
    return rx.vstack(
        _label(label, field_id),
        rx.el.input(
            id=field_id,
            name=f"{kind}-" + row.id,
            default_value=value,
            input_mode="numeric",
            placeholder=hint,
            aria_describedby=field_id + "-error",
            style=_FIELD,
        ),
        _error(error, field_id + "-error"),
        spacing="1",
    )


def _department(row: rx.Var[RoutingRowForm]) -> rx.Component:
    policy_id = "routing-policy-" + row.id
    return rx.card(
        rx.vstack(
            rx.heading(row.name, size="3"),
            rx.vstack(
                _label(t("routing.policy"), policy_id),
                rx.el.select(
                    *[rx.el.option(t(f"routing.policy.{p.value}"), value=p.value) for p in RoutingPolicy],
                    id=policy_id,
                    name="policy-" + row.id,
                    default_value=row.policy,
                    aria_describedby=policy_id + "-error",
                    style=_FIELD,
                ),
                _error(row.policy_error, policy_id + "-error"),
                spacing="1",
            ),
            rx.hstack(
                _number_field(row, "cap", row.cap, row.cap_error),
                _number_field(row, "minutes", row.minutes, row.minutes_error),
                spacing="5",
                flex_wrap="wrap",
            ),
            spacing="3",
        ),
        role="group",
        aria_label=row.name,
        width="100%",
    )


def routing_tab() -> rx.Component:
    s = RoutingSettingsState
    return rx.form(
        rx.vstack(
            rx.text(t("routing.intro"), size="2", color_scheme="gray"),
            rx.cond(s.rows.length() == 0, rx.text(t("routing.no_departments"), size="2")),
            rx.foreach(s.rows, _department),
            error_callout(s.form_error),
            rx.hstack(
                rx.button(t("settings.save"), type="submit"),
                rx.cond(s.saved != "", rx.text(s.saved, color_scheme="green", size="2", role="status")),
                align="center",
                spacing="3",
            ),
            spacing="4",
            width="100%",
            padding_top="16px",
        ),
        on_submit=s.save,
        reset_on_submit=False,
    )
