"""Role × action: every event handler of every state and every HTTP route, for every kind of caller,
allowed or refused ON THE SERVER (issue 11, A1–A3, P17).

``EVENTS`` and ``ROUTES`` below are the table. The handlers are enumerated from the app's state
classes, so a handler added without an entry fails ``test_every_handler_has_an_entry`` with its
name. To add one: ``"StateClass.handler": Rule(<need>)``, where the need is

- ``UI``: changes only what the tab shows (a draft, an open dialog); sent by anyone, it must not
  change the database;
- ``PUBLIC``: anyone (the login form, the phone app's picker);
- ``CLIENT``: a client's session of the phone app;
- ``EMPLOYEE``: any active employee;
- a ``Permission``: an active employee whose role holds it;
- ``INTERNAL``: called by the server (live updates). Reflex exposes every public method of a state,
  so a browser can send these too: they re-read only what the tab's own session may see, and sent
  by anyone they must not change the database.

``quiet=True`` says the handler does nothing at all for a caller without the need (it acts only on
a page its on_load filled, which was refused), instead of answering with a refusal; the database
must still not change.

The callers: the demo's «Администратор», «Менеджер», «Оператор», an employee whose role has no
permission, a deactivated employee, a client of the phone app (picker index 64), and an anonymous
tab. Each drives the real backend over Socket.IO with its real cookie (tests/fuzz/conftest.py).
Refusal is the Russian forbidden / session answer or a redirect to /login; every event a caller
may not use is sent first, and the database must be exactly as before them.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import typing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.sio_screens import CLIENT_STATE, EMPLOYEE_COOKIE, Screen, login
from chat_crm.services.access import Permission
from chat_crm.texts import t
from tests.e2e.conftest import RunningApp
from tests.fuzz.test_events import _database_fingerprint

pytestmark = pytest.mark.integration


class Need(enum.Enum):
    UI = "ui"
    PUBLIC = "public"
    CLIENT = "client"
    EMPLOYEE = "employee"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Rule:
    need: Need | Permission
    quiet: bool = False
    payload: dict[str, Any] | None = None  # instead of the defaults made from the type hints
    last: bool = False  # ends the caller's session: sent after everything else


UI, PUBLIC, CLIENT, EMPLOYEE, INTERNAL = Need.UI, Need.PUBLIC, Need.CLIENT, Need.EMPLOYEE, Need.INTERNAL
P = Permission
CHAT, SETTINGS, SEND, ROLES, STAFF, REPORTS = (
    P.support_chat,
    P.support_settings,
    P.chat_send,
    P.roles,
    P.employees,
    P.support_reports,
)

# ---- the table: event handlers ------------------------------------------------------------------
EVENTS: dict[str, Rule] = {
    # every state's generic setter: it sets a var of the tab; the services never read one.
    "*.setvar": Rule(UI, payload={"var_name": "error", "value": ""}),
    # the frame (every CRM page)
    "SessionState.apply_inbox": Rule(INTERNAL),
    "SessionState.logout": Rule(PUBLIC, last=True),
    "SessionState.open_inbox": Rule(EMPLOYEE, quiet=True, payload={"is_open": True}),
    "SessionState.require_login": Rule(EMPLOYEE),
    "LoginState.skip_if_logged_in": Rule(PUBLIC),
    "LoginState.submit": Rule(PUBLIC, payload={"form": {"email": "nobody@demo.ru", "password": "x"}}),
    "PresenceState.load": Rule(EMPLOYEE, quiet=True),
    "PresenceState.toggle": Rule(EMPLOYEE, quiet=True),
    # «Поддержка» → «Чат»: the list
    "ChatListState.apply_list": Rule(INTERNAL),
    "ChatListState.export": Rule(CHAT),  # starts a job: its refusal comes as the job's answer
    "ChatListState.leave": Rule(UI),
    "ChatListState.next_page": Rule(CHAT),
    "ChatListState.on_load": Rule(CHAT),
    "ChatListState.prev_page": Rule(CHAT),
    "ChatListState.reset_filters": Rule(CHAT),
    "ChatListState.set_filter": Rule(CHAT, payload={"name": "topic", "value": ""}),
    "ChatListState.set_search": Rule(CHAT),
    "ChatListState.set_tab": Rule(CHAT, payload={"tab": "all"}),
    "ChatListState.sort_by": Rule(CHAT, payload={"column": "number"}),
    "ChatListState.toggle_column": Rule(CHAT, payload={"column": "channel"}),
    "ChatListState.toggle_filters": Rule(UI),
    # the chat card
    "ChatCardState.on_load": Rule(CHAT),
    "ChatCardState.rebuild": Rule(CHAT, quiet=True),  # only a tab whose state was lost reloads
    "ChatCardState.apply_live": Rule(INTERNAL),
    "ChatCardState.add_emoji": Rule(UI),
    "ChatCardState.attach_link": Rule(SEND, quiet=True),
    "ChatCardState.cancel_edit": Rule(UI),
    "ChatCardState.close_dialog": Rule(SEND, quiet=True, payload={"reason": "resolved"}, last=True),
    "ChatCardState.copy_text": Rule(UI),
    "ChatCardState.delete_message": Rule(SEND, quiet=True),
    "ChatCardState.dictated": Rule(UI),
    "ChatCardState.load_earlier": Rule(CHAT, quiet=True),
    "ChatCardState.mark_read": Rule(CHAT, quiet=True),
    "ChatCardState.remove_file": Rule(UI),
    "ChatCardState.remove_link": Rule(UI),
    "ChatCardState.resend": Rule(SEND, quiet=True),
    "ChatCardState.send": Rule(SEND, quiet=True, payload={"form": {"text": "матрица"}}),
    "ChatCardState.set_draft": Rule(UI),
    "ChatCardState.set_link_kind": Rule(UI),
    "ChatCardState.set_link_open": Rule(UI),
    "ChatCardState.set_link_project": Rule(UI),
    "ChatCardState.set_voice_supported": Rule(UI),
    "ChatCardState.start_edit": Rule(UI),
    "ChatCardState.typing": Rule(CHAT, quiet=True),
    "ChatCardState.upload": Rule(SEND, quiet=True),
    "ChatCardState.upload_progress": Rule(UI),
    "ChatCardState.upload_rejected": Rule(UI),
    "ChatManageState.assign_to_me": Rule(CHAT, quiet=True),
    "ChatManageState.on_load": Rule(CHAT, quiet=True),  # shows what ChatCardState.on_load read
    "ChatManageState.refresh": Rule(CHAT, quiet=True),
    "ChatManageState.save": Rule(CHAT, quiet=True),
    "ChatManageState.set_comment": Rule(UI),
    "ChatManageState.set_department": Rule(CHAT, quiet=True),
    "ChatManageState.set_responsible": Rule(UI),
    "ChatManageState.set_topic": Rule(UI),
    "ChatManageState.set_unit": Rule(UI),
    "CannedPickerState.on_load": Rule(CHAT, quiet=True),
    "CannedPickerState.refresh": Rule(CHAT, quiet=True),
    # «Поддержка» → «Настройки»
    "SupportSettingsState.on_load": Rule(SETTINGS),
    "SupportSettingsState.save": Rule(SETTINGS),
    "SupportSettingsState.set_consent_notice": Rule(UI),
    "SupportSettingsState.set_department": Rule(SETTINGS),
    "SupportSettingsState.set_employee": Rule(UI),
    "SupportSettingsState.set_show_in_storefront": Rule(UI),
    "SupportSettingsState.set_welcome_text": Rule(UI),
    "SupportSettingsState.set_welcome_title": Rule(UI),
    "BotSettingsState.on_load": Rule(SETTINGS, quiet=True),
    "BotSettingsState.save": Rule(SETTINGS),
    "BotSettingsState.save_rules": Rule(SETTINGS, quiet=True),
    "BotSettingsState.open_editor": Rule(SETTINGS, quiet=True, payload={"topic": "deal"}),
    "BotSettingsState.set_greeting_employee": Rule(UI),
    "BotSettingsState.set_rule_department": Rule(SETTINGS, quiet=True, payload={"index": 0, "value": ""}),
    **{
        f"BotSettingsState.{name}": Rule(UI)
        for name in (
            "add_rule",
            "cancel_editor",
            "editor_open_change",
            "remove_rule",
            "set_acceptance_uses_unit_responsible",
            "set_enabled",
            "set_restart_unit",
            "set_restart_value",
            "set_rule_employee",
            "set_rule_project",
            "set_text",
        )
    },
    "CannedRepliesState.on_load": Rule(SETTINGS, quiet=True),
    "CannedRepliesState.save": Rule(SETTINGS, quiet=True),
    "CannedRepliesState.confirm_delete": Rule(SETTINGS, quiet=True),
    "CannedRepliesState.open_edit": Rule(SETTINGS, quiet=True),
    **{
        f"CannedRepliesState.{name}": Rule(UI)
        for name in (
            "ask_delete",
            "cancel_delete",
            "delete_open_change",
            "close_editor",
            "editor_open_change",
            "open_new",
            "set_scope",
            "set_search",
            "set_text",
            "set_title",
        )
    },
    "RoutingSettingsState.on_load": Rule(SETTINGS, quiet=True),
    "RoutingSettingsState.save": Rule(SETTINGS),
    # «Поддержка» → «Отчеты»
    "ReportsState.on_load": Rule(REPORTS),
    "ReportsState.apply": Rule(REPORTS),
    "ReportsState.export": Rule(REPORTS, payload={"key": "volume"}),
    "ReportsState.reset_filters": Rule(REPORTS, quiet=True),
    "ReportsState.set_filter": Rule(UI),
    # «Настройки» → «Сотрудники» → «Роли доступа»
    "RolesState.on_load": Rule(ROLES),
    "RolesState.select_role": Rule(ROLES),
    "RolesState.create_role": Rule(ROLES),
    "RolesState.rename_role": Rule(ROLES),
    "RolesState.delete_role": Rule(ROLES),
    "RolesState.save": Rule(ROLES, quiet=False),
    "RolesState.toggle_permission": Rule(UI, payload={"code": "roles", "checked": True}),
    "RolesState.toggle_alert": Rule(UI, payload={"key": "chat_assigned:push", "checked": True}),
    # «Настройки» → «Сотрудники»
    "EmployeesState.on_load": Rule(STAFF),
    "EmployeesState.add": Rule(STAFF),
    "EmployeesState.add_department": Rule(STAFF),
    "EmployeesState.rename_department": Rule(STAFF),
    "EmployeesState.save_edit": Rule(STAFF),
    "EmployeesState.set_active": Rule(STAFF, payload={"target_id": 1, "active": True}),
    "EmployeesState.start_edit": Rule(UI),
    "EmployeesState.edit_open_change": Rule(UI),
    # the phone app (/app)
    "ClientAppState.apply_live": Rule(INTERNAL),
    "ClientAppState.on_load": Rule(PUBLIC),
    "ClientAppState.open_app": Rule(PUBLIC, last=True),
    "ClientAppState.rebuild": Rule(PUBLIC),
    **{
        f"ClientAppState.{name}": Rule(UI)
        for name in (
            "add_emoji",
            "back_to_chat",
            "cancel_edit",
            "close_banner",
            "copy_text",
            "remove_file",
            "set_channel",
            "set_draft",
            "set_offline",
            "set_picked",
            "show",
            "start_edit",
            "upload_progress",
            "upload_rejected",
            "drop_unsent",
        )
    },
    **{
        f"ClientAppState.{name}": Rule(CLIENT, quiet=True)
        for name in (
            "bot_back",
            "calculate",
            "delete_message",
            "leave_chat",
            "load_earlier",
            "mark_read",
            "open_banner",
            "open_chat",
            "open_link",
            "open_notification",
            "open_unit_card",
            "pick_other",
            "pick_topic",
            "pick_unit",
            "resend",
            "retry",
            "send",
            "show_notifications",
            "typing",
            "upload",
        )
    },
}

# Where a state's events are sent from (the router data the browser would send).
ROUTE_OF: dict[str, tuple[str, dict[str, str]]] = {
    "ChatCardState": ("/support/chats/1", {"chat_id": "1"}),
    "ChatManageState": ("/support/chats/1", {"chat_id": "1"}),
    "CannedPickerState": ("/support/chats/1", {"chat_id": "1"}),
    "ChatListState": ("/support/chats", {}),
    "SupportSettingsState": ("/support/settings", {}),
    "BotSettingsState": ("/support/settings", {}),
    "CannedRepliesState": ("/support/settings", {}),
    "RoutingSettingsState": ("/support/settings", {}),
    "ReportsState": ("/support/reports", {}),
    "RolesState": ("/settings/roles", {}),
    "EmployeesState": ("/settings/employees", {}),
    "ClientAppState": ("/app", {}),
    "LoginState": ("/login", {}),
}

# ---- the table: HTTP routes (method, path) -> need; the mobile API is read from its OpenAPI -------
ROUTES: dict[tuple[str, str], Need | Permission] = {
    ("GET", "/files/1"): CHAT,  # or the chat's own client: both are checked by routes._find_file
    ("GET", "/files/1/thumb"): CHAT,
    ("GET", "/exports/bogus-token"): INTERNAL,  # a one-time link made by «Выгрузить»: refused to all
    ("GET", "/auth/session"): PUBLIC,  # no ticket: back to /login
    ("GET", "/push/key"): PUBLIC,
    ("POST", "/push/subscribe"): EMPLOYEE,  # or a client: a session of either kind
    ("POST", "/push/unsubscribe"): EMPLOYEE,
    ("GET", "/auth/logout"): PUBLIC,  # last: it ends the caller's session
}

REFUSALS = (t("error.forbidden"), t("error.session_expired"), t("error.no_send_right"))


# ---- the callers -------------------------------------------------------------------------------
@dataclass
class Caller:
    name: str
    permissions: frozenset[str] | None  # None: not an active employee
    is_client: bool = False
    cookie: str = ""
    cookie_name: str = EMPLOYEE_COOKIE

    def has(self, rule: Rule) -> bool:
        need = rule.need
        if need in (UI, PUBLIC):
            return True
        if need is INTERNAL:
            return False
        if need is CLIENT:
            return self.is_client
        if need is EMPLOYEE:
            return self.permissions is not None
        return self.permissions is not None and need.value in self.permissions


def _handlers() -> dict[str, Any]:
    from reflex.state import State

    import chat_crm.chat_crm  # noqa: F401  registers every state

    found: dict[str, Any] = {}
    stack = [State]
    while stack:
        cls = stack.pop()
        stack.extend(cls.get_substates())
        if cls.__module__.startswith("chat_crm"):
            for name, handler in cls.event_handlers.items():
                found[f"{cls.__name__}.{name}"] = (cls, handler)
    return found


HANDLERS = _handlers()


def rule_of(key: str) -> Rule | None:
    return EVENTS.get(key) or (EVENTS.get(f"*.{key.rsplit('.', 1)[1]}") if key.endswith(".setvar") else None)


def test_every_handler_has_an_entry() -> None:
    missing = sorted(k for k in HANDLERS if rule_of(k) is None)
    assert not missing, (
        "handlers with no entry in tests/test_permission_matrix.py EVENTS (say who may call them): "
        + ", ".join(missing)
    )
    unknown = sorted(k for k in EVENTS if not k.startswith("*.") and k not in HANDLERS)
    assert not unknown, f"entries for handlers that no longer exist: {unknown}"
    states = {k.split(".")[0] for k in HANDLERS} - {"SessionState", "PresenceState"}
    assert not states - set(ROUTE_OF), f"states with no page in ROUTE_OF: {sorted(states - set(ROUTE_OF))}"


def _default(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is int:
        return 1
    if hint is bool:
        return False
    if hint is str:
        return ""
    if hint is dict or origin is dict:
        return {}
    if hint is list or origin is list:
        return []
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return _default(typing.get_args(hint)[0])
    return None


def payload_for(handler: Any, rule: Rule) -> dict[str, Any]:
    if rule.payload is not None:
        return dict(rule.payload)
    try:
        hints = typing.get_type_hints(handler.fn)
    except Exception:  # noqa: BLE001 - a hint only the server's module can resolve
        hints = {}
    params = list(inspect.signature(handler.fn).parameters.values())[1:]
    return {p.name: _default(hints.get(p.name, str)) for p in params if p.default is inspect.Parameter.empty}


def _wire(payload: dict[str, Any]) -> dict[str, Any]:
    """A form travels as the browser sends it."""
    if isinstance(payload.get("form"), dict):
        return {"form": {"__reflex_form_data__": [[k, v] for k, v in payload["form"].items()]}}
    return payload


class Tab:
    """One caller's tab: one socket; every event waits for its answer (a barrier event after it)."""

    def __init__(self, base: str, caller: Caller) -> None:
        self.screen = Screen(base, "/login/")  # its on_load reads nothing of anyone's
        if caller.cookie:
            self.screen.cookies[caller.cookie_name] = caller.cookie
        self.answers: list[str] = []
        original = self.screen._on_event

        async def on_event(update: Any) -> None:
            self.answers.append(json.dumps(update, ensure_ascii=False, default=str))
            await original(update)

        self.screen._on_event = on_event  # type: ignore[method-assign]
        self.screen.sio.on("event", on_event, namespace="/_event")

    async def open(self) -> None:
        await self.screen.connect(timeout=60)  # with the caller's cookie, as a browser's tab

    async def send(self, state_path: str, name: str, payload: dict[str, Any], route: tuple[str, dict]) -> str:
        path, query = route
        self.screen.router = {"pathname": path, "asPath": path, "query": query}
        start = len(self.answers)
        await self.screen.emit(f"{state_path}.{name}", _wire(payload))
        mark = uuid.uuid4().hex[:10]
        await self.screen.emit(f"{CLIENT_STATE}.set_picked", {"value": mark})
        await self.screen.wait_for(lambda: self.screen.var(CLIENT_STATE, "picked") == mark, 60, f"{name}")
        self.start = start
        return "\n".join(self.answers[start:])

    async def late_refusal(self, seconds: float = 5) -> str:
        """An error raised by a handler may reach the tab a little after the next event's answer
        (Reflex sends the exception handler's toast on its own): wait for it, within a bound."""
        for _ in range(int(seconds * 10)):
            answer = "\n".join(self.answers[self.start :])
            if refused(answer):
                return answer
            await asyncio.sleep(0.1)
        return "\n".join(self.answers[self.start :])


def _spellings(text: str) -> tuple[str, ...]:
    """As a delta carries it, and as a toast's script does (escaped, once or twice)."""
    once = json.dumps(text)[1:-1]
    return (text, once, json.dumps(once)[1:-1])


REFUSAL_SPELLINGS = tuple(s for r in REFUSALS for s in _spellings(r))


def said_no(answer: str) -> bool:
    return any(s in answer for s in REFUSAL_SPELLINGS)


def _why(answer: str) -> str:
    """The part of the answer that says no, for the failure message."""
    for marker in (*REFUSAL_SPELLINGS, "/login"):
        at = answer.find(marker)
        if at >= 0:
            return answer[max(0, at - 150) : at + 80]
    return answer[:200]


def refused(answer: str) -> bool:
    return said_no(answer) or "/login" in answer


async def _drive(base: str, caller: Caller, db_path: str) -> list[str]:
    """Every handler, as ``caller``; the list of what went against the table."""
    tab = Tab(base, caller)
    await tab.open()
    wrong: list[str] = []
    known = {k: v for k, v in HANDLERS.items() if rule_of(k) is not None}  # the rest: the test above
    entries = sorted(known.items(), key=lambda kv: (_order(kv[0]), not kv[0].endswith("on_load")))
    denied = [(k, v) for k, v in entries if not caller.has(rule_of(k)) or rule_of(k).need is UI]
    allowed = [(k, v) for k, v in entries if caller.has(rule_of(k)) and rule_of(k).need is not UI]
    before = _database_fingerprint(db_path)
    for key, (cls, handler) in denied:
        rule = rule_of(key)
        answer = await tab.send(
            cls.get_full_name(), key.split(".")[1], payload_for(handler, rule), _route(cls)
        )
        if rule.need not in (UI, INTERNAL) and not refused(answer) and not rule.quiet:
            answer = await tab.late_refusal()
        if rule.need not in (UI, INTERNAL) and not refused(answer) and not rule.quiet:
            wrong.append(f"{caller.name}: {key} needs {rule.need} and was not refused: {answer[:300]}")
    # A refusal raised by the last of them may still be on its way: let it land before the rest.
    await tab.late_refusal(seconds=1)
    if _database_fingerprint(db_path) != before:
        wrong.append(f"{caller.name}: the events it may not use changed the database")
    previous = "(the events it may not use)"
    for key, (cls, handler) in allowed:
        rule = rule_of(key)
        answer = await tab.send(
            cls.get_full_name(), key.split(".")[1], payload_for(handler, rule), _route(cls)
        )
        if rule.need is not PUBLIC and refused(answer):
            wrong.append(
                f"{caller.name}: {key} is allowed ({rule.need}), refused after {previous}: {_why(answer)}"
            )
        previous = key
    await tab.screen.close()
    return wrong


def _order(key: str) -> int:
    """Page loads first; what ends a session (logout, a new phone session) after all else."""
    rule = rule_of(key)
    if not rule or not rule.last:
        return 0
    return 2 if key.endswith((".logout", ".open_app")) else 1


def _route(cls: type) -> tuple[str, dict[str, str]]:
    return ROUTE_OF.get(cls.__name__, ("/support/chats", {}))


# ---- the app and the callers ------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from tests.fuzz.conftest import BackendApp

    app = BackendApp(tmp_path_factory.mktemp("matrix"))
    app.load_demo()
    app.start()
    yield app
    app.stop()


def _staff_callers(app: RunningApp) -> list[Caller]:
    """The demo's three roles, plus a role with nothing and a deactivated employee (made through
    the services, on the app's own database)."""
    from sqlmodel import select

    from chat_crm.db import read_session
    from chat_crm.models import Employee, Role
    from chat_crm.services import employees, roles
    from chat_crm.services.employees import EmployeeDraft
    from tests.conftest import use_database

    use_database(app.env["DATABASE_URL"])
    with read_session() as session:
        admin = session.exec(select(Employee).where(Employee.email == "admin@demo.ru")).one()
        perms = {r.name: frozenset(r.permissions) for r in session.exec(select(Role)).all()}
    empty = roles.create_role(employee_id=admin.id or 0, name="Без прав (матрица)")
    made = {}
    for who in ("nobody", "gone"):
        made[who] = employees.add_employee(
            employee_id=admin.id or 0,
            draft=EmployeeDraft(
                full_name=f"Матрица {who}",
                email=f"{who}@matrix.ru",
                password="matrix-password",
                role_id=empty.id if who == "nobody" else admin.role_id,
                department_id=None,
            ),
        )
    loop = asyncio.new_event_loop()
    try:
        cookies = {
            email: loop.run_until_complete(login(app.url, email, password))
            for email, password in (
                ("admin@demo.ru", "demo"),
                ("manager@demo.ru", "demo"),
                ("operator@demo.ru", "demo"),
                ("nobody@matrix.ru", "matrix-password"),
                ("gone@matrix.ru", "matrix-password"),
            )
        }
        client_cookie = loop.run_until_complete(_client_cookie(app.url))
    finally:
        loop.close()
    employees.set_active(employee_id=admin.id or 0, target_id=made["gone"], active=False)
    return [
        Caller("Администратор", perms["Администратор"], cookie=cookies["admin@demo.ru"]),
        Caller("Менеджер", perms["Менеджер"], cookie=cookies["manager@demo.ru"]),
        Caller("Оператор", perms["Оператор"], cookie=cookies["operator@demo.ru"]),
        Caller("роль без прав", frozenset(), cookie=cookies["nobody@matrix.ru"]),
        Caller("деактивированный (админ)", None, cookie=cookies["gone@matrix.ru"]),
        Caller("клиент (64)", None, is_client=True, cookie=client_cookie, cookie_name="chat_crm_app"),
        Caller("аноним", None),
    ]


async def _client_cookie(base: str) -> str:
    screen = Screen(base, "/app/")
    await screen.connect(timeout=60)
    await screen.emit(f"{CLIENT_STATE}.set_picked", {"value": "64"})
    await screen.emit(f"{CLIENT_STATE}.open_app")
    await screen.redeem_ticket(60)
    cookie = screen.cookies.get("chat_crm_app", "")
    await screen.close()
    return cookie


@pytest.fixture(scope="module")
def callers(matrix_app: RunningApp) -> list[Caller]:
    return _staff_callers(matrix_app)


@pytest.mark.feature("A1", "A2", "A3", "P17")
def test_every_event_is_allowed_or_refused_as_the_table_says(
    matrix_app: RunningApp, callers: list[Caller]
) -> None:
    db_path = matrix_app.env["DATABASE_URL"].split("///", 1)[1]
    wrong: list[str] = []
    for caller in callers:
        wrong += asyncio.run(_drive(matrix_app.url, caller, db_path))
    print(f"\nmatrix: {len(HANDLERS)} handlers x {len(callers)} callers sent over Socket.IO")
    assert not wrong, "\n".join(wrong)


def _http_refused(response: httpx.Response) -> bool:
    return response.status_code in (401, 403, 404) or (
        response.status_code in (302, 303, 307) and "/login" in response.headers.get("location", "")
    )


@pytest.mark.feature("A2", "P17")
def test_every_route_is_allowed_or_refused_as_the_table_says(
    matrix_app: RunningApp, callers: list[Caller]
) -> None:
    wrong = []
    for caller in callers:
        cookies = {caller.cookie_name: caller.cookie} if caller.cookie else {}
        with httpx.Client(
            base_url=matrix_app.url, cookies=cookies, follow_redirects=False, timeout=30
        ) as http:
            for (method, path), need in ROUTES.items():
                body = {"as": "client" if caller.is_client else "employee"}
                response = http.request(method, path, json=body if method == "POST" else None)
                rule = Rule(need)
                expected_refusal = need is INTERNAL or not (
                    caller.has(rule) or (need is EMPLOYEE and caller.is_client)
                )
                if need is PUBLIC:
                    ok = response.status_code < 500
                elif expected_refusal:
                    ok = _http_refused(response)
                else:
                    # Allowed: past the session check (a bogus id or body answers 400/404, not 401/403).
                    ok = response.status_code not in (401, 403) and response.status_code < 500
                if not ok:
                    wrong.append(f"{caller.name}: {method} {path} ({need}) answered {response.status_code}")
            wrong += _api_without_bearer(http, caller)
    assert not wrong, "\n".join(wrong)


def _api_without_bearer(http: httpx.Client, caller: Caller) -> list[str]:
    """The mobile API (/api/v1) takes only its bearer token: a browser's cookies open nothing."""
    spec = http.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        return []  # no API in this build
    wrong = []
    for path, operations in spec.json().get("paths", {}).items():
        for method, operation in operations.items():
            if not operation.get("security") or "{" in path:
                continue
            response = http.request(method.upper(), path, json={} if method != "get" else None)
            if response.status_code != 401:
                wrong.append(
                    f"{caller.name}: API {method.upper()} {path} without a token: {response.status_code}"
                )
    return wrong


@pytest.mark.feature("A2", "A3")
def test_rights_a_tab_claims_for_itself_decide_nothing(matrix_app: RunningApp, callers: list[Caller]) -> None:
    """The tab's ``permissions`` var is only for the header's links: an «Оператор» who sets it to
    every right (``setvar``, as a crafted client can) is still refused on the server."""
    operator = next(c for c in callers if c.name == "Оператор")
    db_path = matrix_app.env["DATABASE_URL"].split("///", 1)[1]
    session_path = next(
        cls for key, (cls, _) in HANDLERS.items() if key == "SessionState.logout"
    ).get_full_name()
    card, card_path = ROUTE_OF["ChatCardState"], HANDLERS["ChatCardState.send"][0].get_full_name()

    async def run() -> tuple[str, str]:
        tab = Tab(matrix_app.url, operator)
        await tab.open()
        await tab.send(card_path, "on_load", {}, card)
        everything = [p.value for p in Permission]
        await tab.send(session_path, "setvar", {"var_name": "permissions", "value": everything}, card)
        before = _database_fingerprint(db_path)
        answer = await tab.send(card_path, "send", {"form": {"text": "Я теперь могу всё"}}, card)
        if not refused(answer):
            answer = await tab.late_refusal()
        await tab.screen.close()
        return answer, before

    answer, before = asyncio.run(run())
    assert refused(answer), answer[:500]
    assert _database_fingerprint(db_path) == before
