"""«Сотрудники»: the list, «Добавить сотрудника», «Изменить», «Деактивировать», «Отделы»."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.layout import crm_layout, notice_callout
from chat_crm.services.employees import EmployeeRow
from chat_crm.services.settings import Option
from chat_crm.states.employees import EmployeesState
from chat_crm.texts import t

S = EmployeesState


def _error(errors: rx.Var[dict[str, str]], field: str) -> rx.Component:
    message = errors[field]
    return rx.cond(message, rx.text(message, role="alert", color_scheme="red", size="2"))


def _labelled(label: str, control: rx.Component) -> rx.Component:
    # The control's own aria-label is the label, exactly: a wrapping <label> would add a select's options.
    control.custom_attrs["aria-label"] = label
    return rx.el.label(rx.text(label, size="2"), control, style={"display": "block", "minWidth": "200px"})


def _select(
    name: str, options: rx.Var[list[Option]], empty: str, value: rx.Var[str] | None = None
) -> rx.Component:
    return rx.el.select(
        rx.el.option(empty, value=""),
        rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        name=name,
        style={"padding": "6px", "width": "100%"},
        **({"default_value": value} if value is not None else {}),
    )


def _row(row: rx.Var[EmployeeRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.full_name),
        rx.table.cell(row.email),
        rx.table.cell(row.department),
        rx.table.cell(row.role),
        rx.table.cell(
            rx.cond(
                row.is_active,
                rx.badge(t("employees.active"), color_scheme="green"),
                rx.badge(t("employees.inactive"), color_scheme="gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(t("employees.edit"), size="1", variant="soft", on_click=S.start_edit(row.id)),
                rx.cond(
                    row.is_active,
                    rx.button(
                        t("employees.deactivate"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=S.set_active(row.id, False),
                    ),
                    rx.button(
                        t("employees.activate"), size="1", variant="soft", on_click=S.set_active(row.id, True)
                    ),
                ),
            )
        ),
        data_testid="employee-row",
    )


def _table() -> rx.Component:
    headers = ("full_name", "email", "department", "role", "status")
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[rx.table.column_header_cell(t(f"employees.{h}")) for h in headers],
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _row)),
        width="100%",
    )


def _add_form() -> rx.Component:
    e = S.errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("employees.add"), size="3"),
                rx.flex(
                    rx.box(
                        _labelled(t("employees.full_name"), rx.input(name="full_name")),
                        _error(e, "full_name"),
                    ),
                    rx.box(
                        _labelled(t("employees.email"), rx.input(name="email", type="email")),
                        _error(e, "email"),
                    ),
                    rx.box(
                        _labelled(t("employees.password"), rx.input(name="password", type="password")),
                        _error(e, "password"),
                    ),
                    rx.box(
                        _labelled(t("employees.role"), _select("role", S.roles, t("employees.choose_role"))),
                        _error(e, "role"),
                    ),
                    rx.box(
                        _labelled(
                            t("employees.department"),
                            _select("department", S.departments, t("employees.no_department")),
                        ),
                        _error(e, "department"),
                    ),
                    gap="12px",
                    flex_wrap="wrap",
                ),
                rx.button(t("employees.add"), type="submit"),
                spacing="3",
            ),
            on_submit=S.add,
        ),
        width="100%",
    )


def _edit_dialog() -> rx.Component:
    e = S.edit_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("employees.edit")),
            rx.form(
                rx.vstack(
                    _labelled(
                        t("employees.full_name"), rx.input(name="full_name", default_value=S.edit_name)
                    ),
                    _error(e, "full_name"),
                    _labelled(
                        t("employees.role"), _select("role", S.roles, t("employees.choose_role"), S.edit_role)
                    ),
                    _error(e, "role"),
                    _labelled(
                        t("employees.department"),
                        _select("department", S.departments, t("employees.no_department"), S.edit_department),
                    ),
                    _error(e, "department"),
                    rx.cond(
                        S.form_error != "", rx.text(S.form_error, role="alert", color_scheme="red", size="2")
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("employees.cancel"), type="button", variant="soft")),
                        rx.button(t("employees.save"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=S.save_edit,
            ),
        ),
        open=S.editing != 0,
        on_open_change=S.edit_open_change,
    )


def _department_row(option: rx.Var[Option]) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="department_id", value=option.value),
            rx.input(
                name="department_name", default_value=option.label, aria_label=t("employees.department_name")
            ),
            rx.button(t("employees.rename_department"), type="submit", variant="soft", size="1"),
            align="center",
        ),
        on_submit=S.rename_department,
        data_testid="department-row",
    )


def _departments() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("employees.departments"), size="3"),
            rx.foreach(S.departments, _department_row),
            rx.form(
                rx.hstack(
                    rx.input(
                        name="department_name",
                        placeholder=t("employees.department_name"),
                        aria_label=t("employees.department_name"),
                    ),
                    rx.button(t("employees.add_department"), type="submit"),
                    align="center",
                ),
                on_submit=S.add_department,
            ),
            _error(S.department_errors, "department_name"),
            spacing="2",
        ),
        width="100%",
    )


def employees_page() -> rx.Component:
    return crm_layout(
        rx.cond(
            S.error != "",
            rx.callout(S.error, color_scheme="red", role="alert"),
            rx.vstack(
                notice_callout(S.notice, data_testid="notice"),
                rx.cond(
                    (S.form_error != "") & (S.editing == 0),
                    rx.callout(S.form_error, color_scheme="red", role="alert", data_testid="form-error"),
                ),
                _table(),
                _add_form(),
                _departments(),
                _edit_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
        title=t("employees.title"),
    )
