"""Tab «Чат-бот» (S5–S11). Holds what the form and the rule editor show; every rule is in
services/bot_settings.py."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from chat_crm.services import bot_settings as bot
from chat_crm.services import topic_rules as rule_service
from chat_crm.services.errors import ServiceError
from chat_crm.services.settings import Option
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t

# Fields with a message beside them; any other error field goes to form_error.
_FIELDS: tuple[str, ...] = ("enabled", "greeting_employee", *bot.TEXT_FIELDS, "restart")
_NO_ERRORS: dict[str, str] = dict.fromkeys(_FIELDS, "")
_RULE_FIELDS = ("projects", "department", "employee")


@dataclasses.dataclass(frozen=True)
class RuleDraft:
    """A rule as the modal holds it: ids as strings, like the browser's; errors beside their field."""

    title: str = ""
    project_ids: list[str] = dataclasses.field(default_factory=list)
    department: str = ""
    employee: str = ""
    employees: list[Option] = dataclasses.field(default_factory=list)
    projects_error: str = ""
    department_error: str = ""
    employee_error: str = ""


def _titled(rules: list[RuleDraft]) -> list[RuleDraft]:
    # «Правило N» follows the position, so it stays right after a rule above is removed.
    return [dataclasses.replace(r, title=t("bot_settings.rule_title", n=n)) for n, r in enumerate(rules, 1)]


def _cleared(rules: list[RuleDraft]) -> list[RuleDraft]:
    return [dataclasses.replace(r, projects_error="", department_error="", employee_error="") for r in rules]


class BotSettingsState(SessionState):
    available: bool = False  # S5: the tab trigger shows only when True
    # The main form, as the browser holds it.
    enabled: bool = False
    greeting_employee: str = ""
    texts: dict[str, str] = dict.fromkeys(bot.TEXT_FIELDS, "")
    restart_value: str = ""
    restart_unit: str = "days"
    acceptance_uses_unit_responsible: bool = False
    topics: list[bot.TopicSummary] = []
    employees: list[Option] = []
    projects: list[Option] = []
    departments: list[Option] = []
    errors: dict[str, str] = dict(_NO_ERRORS)
    form_error: str = ""
    saved: str = ""
    # The rule editor (S6): which topic is open and its rules, nothing written before its «Сохранить».
    editor_open: bool = False
    editor_topic: str = ""
    editor_title: str = ""
    rules: list[RuleDraft] = []
    editor_error: str = ""

    @rx.var
    def counters(self) -> dict[str, str]:
        # Counts what the server will count (it strips), so the counter and the error agree.
        return {field: f"{len(value.strip())}/{bot.TEXT_LIMIT}" for field, value in self.texts.items()}

    # ---- loading ----

    def _show(self, view: bot.BotSettingsView) -> None:
        self.enabled, self.greeting_employee = view.enabled, view.greeting_employee_id
        self.texts = {field: getattr(view, field) for field in bot.TEXT_FIELDS}
        self.restart_value, self.restart_unit = view.restart_value, view.restart_unit
        self.acceptance_uses_unit_responsible = view.acceptance_uses_unit_responsible
        self.topics, self.employees = view.topics, view.employees
        self.projects, self.departments = view.projects, view.departments

    def _clear_messages(self) -> None:
        self.errors, self.form_error, self.saved = dict(_NO_ERRORS), "", ""

    def _read(self) -> bot.BotSettingsView | None:
        employee_id = self._employee_id()
        if not bot.bot_tab_available_for(employee_id=employee_id):
            return None
        return bot.read_bot_settings(employee_id=employee_id)

    @rx.event
    async def on_load(self) -> None:
        # SupportSettingsState.on_load runs first on this page: it redirects and shows page-level errors.
        self._clear_messages()
        self.editor_open = False
        try:
            view = await off_loop(self, self._read)
        except ServiceError:
            self.available = False
            return
        self.available = view is not None
        if view is not None:
            self._show(view)

    # ---- the main form ----

    def _changed(self, field: str) -> None:
        self.saved = ""
        self.errors = {**self.errors, field: ""}

    @rx.event
    def set_enabled(self, value: bool) -> None:
        self.enabled = bool(value)
        self._changed("enabled")

    @rx.event
    def set_greeting_employee(self, value: str) -> None:
        self.greeting_employee = value
        self._changed("greeting_employee")

    @rx.event
    def set_text(self, field: str, value: str) -> None:
        if field not in bot.TEXT_FIELDS:  # any browser can call this with any name
            return
        self.texts = {**self.texts, field: value}
        self.saved = ""

    @rx.event
    def set_restart_value(self, value: str) -> None:
        self.restart_value = value
        self._changed("restart")

    @rx.event
    def set_restart_unit(self, value: str) -> None:
        self.restart_unit = value
        self._changed("restart")

    @rx.event
    def set_acceptance_uses_unit_responsible(self, value: bool) -> None:
        self.acceptance_uses_unit_responsible, self.saved = bool(value), ""

    @rx.event
    async def save(self, form: dict[str, Any]) -> None:
        # What the user sees in the fields is what is saved, even if the last keystroke's on_change
        # has not reached the server yet.
        self.texts = {field: str(form.get(field, value)) for field, value in self.texts.items()}
        self.restart_value = str(form.get("restart_value", self.restart_value))
        self._clear_messages()
        try:
            view = await off_loop(
                self,
                lambda: bot.save_bot_settings(
                    employee_id=self._employee_id(),
                    enabled=self.enabled,
                    greeting_employee_id=_to_id(self.greeting_employee),
                    **self.texts,
                    restart_value=self.restart_value,
                    restart_unit=self.restart_unit,
                    acceptance_uses_unit_responsible=self.acceptance_uses_unit_responsible,
                ),
            )
        except ServiceError as err:
            # Everything typed stays: only the message changes.
            if err.field in self.errors:
                self.errors = {**self.errors, err.field: err.message}
            else:
                self.form_error = err.message
            return
        self._show(view)
        self.saved = t("bot_settings.saved")

    # ---- the rule editor ----

    @rx.event
    async def open_editor(self, topic: str) -> None:
        label = next((s.label for s in self.topics if s.topic == topic), "")
        try:
            rows = await off_loop(
                self, lambda: rule_service.topic_rules(employee_id=self._employee_id(), topic=topic)
            )
        except ServiceError as err:
            self.form_error = err.message
            return
        drafts = [
            RuleDraft(
                project_ids=[str(p) for p in row.project_ids],
                department=str(row.department_id),
                employee=str(row.employee_id) if row.employee_id is not None else "",
                employees=row.employees,
            )
            for row in rows
        ]
        # An unconfigured topic opens on its first, empty rule: the spec's «настройте первое правило».
        self.rules = _titled(drafts or [RuleDraft()])
        self.editor_topic, self.editor_title, self.editor_error = topic, label, ""
        self.editor_open = True

    def _replace_rule(self, index: int, **changes: Any) -> None:
        if 0 <= index < len(self.rules):
            rules = list(self.rules)
            rules[index] = dataclasses.replace(rules[index], **changes)
            self.rules = rules

    @rx.event
    def add_rule(self) -> None:
        self.rules = _titled([*self.rules, RuleDraft()])

    @rx.event
    def remove_rule(self, index: int) -> None:
        # Errors name rules by position: once positions move they would point at the wrong rule.
        self.rules = _titled(_cleared([r for i, r in enumerate(self.rules) if i != index]))
        self.editor_error = ""

    @rx.event
    def set_rule_project(self, index: int, project: str, checked: bool) -> None:
        if not 0 <= index < len(self.rules):
            return
        current = [p for p in self.rules[index].project_ids if p != project]
        # Kept in the list's order, so the checkboxes and the saved order agree.
        wanted = set(current) | ({project} if checked else set())
        ordered = [o.value for o in self.projects if o.value in wanted]
        self._replace_rule(index, project_ids=ordered, projects_error="")

    @rx.event
    async def set_rule_department(self, index: int, value: str) -> None:
        """A new department brings its own employees (may be none → a random one is assigned)."""
        try:
            employees = await off_loop(
                self,
                lambda: rule_service.rule_employees(
                    employee_id=self._employee_id(), department_id=_to_id(value)
                ),
            )
        except ServiceError as err:
            employees, self.editor_error = [], err.message
        if not 0 <= index < len(self.rules):
            return
        employee = self.rules[index].employee
        if employee not in {o.value for o in employees}:
            employee = ""
        self._replace_rule(
            index,
            department=value,
            employees=employees,
            employee=employee,
            department_error="",
            employee_error="",
        )

    @rx.event
    def set_rule_employee(self, index: int, value: str) -> None:
        self._replace_rule(index, employee=value, employee_error="")

    @rx.event
    async def save_rules(self) -> None:
        self.rules = _cleared(self.rules)
        self.editor_error = ""
        inputs = [
            rule_service.RuleInput(
                project_ids=[i for i in (_to_id(p) for p in r.project_ids) if i is not None],
                department_id=_to_id(r.department),
                employee_id=_to_id(r.employee),
            )
            for r in self.rules
        ]
        try:
            self.topics = await off_loop(
                self,
                lambda: rule_service.save_topic_rules(
                    employee_id=self._employee_id(), topic=self.editor_topic, rules=inputs
                ),
            )
        except ServiceError as err:
            # The modal stays open with every row as it was; the message goes beside its rule.
            self._show_rule_error(err)
            return
        self._close_editor()
        self.errors = {**self.errors, "enabled": ""}  # a configured topic may answer the S8 error

    def _show_rule_error(self, err: ServiceError) -> None:
        rule, _, part = err.field.partition(".")
        number = rule.removeprefix("rule-")
        if rule.startswith("rule-") and number.isdigit() and part in _RULE_FIELDS:
            self._replace_rule(int(number) - 1, **{f"{part}_error": err.message})
        else:
            self.editor_error = err.message

    def _close_editor(self) -> None:
        self.editor_open, self.rules, self.editor_error = False, [], ""

    @rx.event
    def cancel_editor(self) -> None:
        self._close_editor()

    @rx.event
    def editor_open_change(self, is_open: bool) -> None:
        # Escape or a click outside closes the modal like «Отмена»: nothing is written.
        if not is_open:
            self._close_editor()


def _to_id(value: str) -> int | None:
    """A <select> value to an id; anything that is not a number is «not chosen» and the service decides."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
