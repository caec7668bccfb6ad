"""Hypothesis over every event handler of every state, through the running app (issue 9).

The handlers are enumerated from the app's state classes. Each is sent payloads of random
types, sizes and Unicode (lone surrogates, NUL, RTL overrides, 64-bit overflows) over
Socket.IO, as a crafted browser would, from logged-in tabs (an admin, a client of the app)
and an anonymous one. The test asserts what a user and the database see:

- every answer the user gets about an error is a Russian toast, never Reflex's English one;
- the server logs no unhandled error;
- a payload the edge refuses leaves the database exactly as it was;
- no lone surrogate or NUL is ever stored.

The number of inputs sent is printed (``-s``) for the report.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import re
import sqlite3
import threading
import typing
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest
import socketio.packet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.sio_screens import CLIENT_STATE, EMPLOYEE_COOKIE, SESSION_STATE, Screen, login
from tests.e2e.conftest import RunningApp

SETTINGS_STATE = f"{SESSION_STATE}.chat_crm___states___admin____support_settings_state"
TOAST = re.compile(r'__toast\'\]\?\.\["\w+"\]\("((?:[^"\\]|\\.)*)"')
CYRILLIC = re.compile("[А-Яа-яЁё]")
ENGLISH_ERROR = ("An error occurred", "Contact the website administrator")

NASTY = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\u202e", "\u200f", "\ufeff", "𝔘", "'\"<>&", "%s%n", "\n"]
)
TEXT = st.lists(st.one_of(st.text(max_size=20), NASTY), max_size=8).map("".join) | st.text(
    min_size=1000, max_size=6000, alphabet="аб\ud800\x00x"
)
INTS = st.one_of(st.integers(-5, 300), st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, st.floats(allow_nan=False), TEXT)
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)


def _handlers() -> list[tuple[str, Any]]:
    """(full event name, handler) of every event handler of the app's own states."""
    from reflex.state import State

    import chat_crm.chat_crm  # noqa: F401  registers every state

    found: list[tuple[str, Any]] = []
    stack = [State]
    while stack:
        cls = stack.pop()
        stack.extend(cls.get_substates())
        if not cls.__module__.startswith("chat_crm"):
            continue
        for name, handler in sorted(cls.event_handlers.items()):
            found.append((f"{cls.get_full_name()}.{name}", handler))
    return found


HANDLERS = _handlers()
# Importing the app made Reflex's JSON (raw UTF-8) python-socketio's for every packet of this
# process. A browser sends lone surrogates as JSON escapes; so does the standard encoder.
socketio.packet.Packet.json = json


def _params(handler: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(handler.fn).parameters.values())[1:]


def _typed(hint: Any) -> st.SearchStrategy[Any]:
    """Values of the hinted type, nasty inside (what a crafted but well-typed event carries)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is int:
        return INTS
    if hint is bool:
        return st.booleans()
    if hint is float:
        return st.floats()
    if hint is str:
        return TEXT
    if origin in (dict,) or hint is dict:
        value = _typed(args[1]) if len(args) == 2 else ANY_VALUE
        return st.dictionaries(
            st.sampled_from(["text", "email", "password", "price", "welcome_title"]) | TEXT, value, max_size=5
        )
    if origin is list or hint is list:
        return st.lists(_typed(args[0]) if args else ANY_VALUE, max_size=4)
    return ANY_VALUE


@st.composite
def typed_payload(draw: st.DrawFn, handler: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(handler.fn)
    return {
        p.name: draw(_typed(hints.get(p.name, Any)))
        for p in _params(handler)
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


@st.composite
def any_payload(draw: st.DrawFn, handler: Any) -> dict[str, Any]:
    names = [p.name for p in _params(handler)] + ["extra", "__proto__"]
    return draw(st.dictionaries(st.sampled_from(names), ANY_VALUE, max_size=4))


def _refused(handler: Any, payload: dict[str, Any]) -> bool:
    from chat_crm.edge import BadPayload, check_payload, clean

    try:
        check_payload(handler, clean(payload))
    except BadPayload:
        return True
    return False


class Tabs:
    """Three tabs on one event loop in a thread: the admin, a client of the app, a visitor."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.toasts: list[str] = []
        self.english: list[str] = []
        self.disconnects: list[str] = []
        self.sent = 0
        self.staff = self.run(self._open_staff())
        self.client = self.run(self._open_client())

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(300)

    def _listen(self, screen: Screen) -> None:
        original = screen._on_event

        async def on_event(update: Any) -> None:
            for event in update.get("events") or [] if isinstance(update, dict) else []:
                payload = event.get("payload") if isinstance(event, dict) else None
                code = str(payload.get("function", "")) if isinstance(payload, dict) else ""
                if any(e in str(event) for e in ENGLISH_ERROR):
                    self.english.append(str(event)[:300])
                self.toasts.extend(json.loads(f'"{found}"') for found in TOAST.findall(code))
            await original(update)

        screen._on_event = on_event  # type: ignore[method-assign]
        screen.sio.on("event", on_event, namespace="/_event")
        screen.sio.on(
            "disconnect", lambda *why: self.disconnects.append(f"{screen.router} {why}"), namespace="/_event"
        )

    async def _open_staff(self) -> Screen:
        screen = Screen(self.base, "/support/settings/")
        self._listen(screen)
        screen.cookies[EMPLOYEE_COOKIE] = await login(self.base, "admin@demo.ru")
        await screen.connect(timeout=60)
        await screen.wait_for(lambda: bool(screen.var(SETTINGS_STATE, "departments")), 60, "settings")
        return screen

    async def _open_client(self) -> Screen:
        screen = Screen(self.base, "/app/")
        self._listen(screen)
        await screen.connect(timeout=60)
        await screen.emit(f"{CLIENT_STATE}.set_picked", {"value": "45"})
        await screen.emit(f"{CLIENT_STATE}.open_app")
        await screen.redeem_ticket(60)  # the new socket keeps the listener
        return screen

    async def _send(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for name, payload in events:
            screen = self.client if name.startswith(CLIENT_STATE) else self.staff
            await screen.emit(name, payload)
            self.sent += 1
        try:
            await self._barrier(self.staff, SETTINGS_STATE, "set_welcome_title", "welcome_title")
            await self._barrier(self.client, CLIENT_STATE, "set_picked", "picked")
        except TimeoutError as err:
            raise TimeoutError(f"{err}; disconnects: {self.disconnects}") from None

    @staticmethod
    async def _barrier(screen: Screen, state: str, setter: str, var: str) -> None:
        """Events of a tab run in order: once this one's answer is back, the batch is done."""
        mark = uuid.uuid4().hex[:8]
        await screen.emit(f"{state}.{setter}", {"value": mark})
        await screen.wait_for(lambda: screen.var(state, var) == mark, 30, f"the barrier on {state}")

    def send(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        self.run(self._send(events))

    def close(self) -> None:
        self.run(self.staff.close())
        self.run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


def _database_fingerprint(path: str) -> str:
    """Every row of every table, except when a session was last seen (any event moves it)."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')") if r[1] != "last_seen_at"]
            select = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(f'SELECT {select} FROM "{table}" ORDER BY rowid'):
                digest.update(repr((table, row)).encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def _stored_bad_text(path: str) -> list[str]:
    found = []
    with sqlite3.connect(path) as conn:
        conn.text_factory = lambda b: b.decode("utf-8", "surrogatepass")
        for table, column in (
            ("message", "text"),
            ("chat_settings", "welcome_title"),
            ("chat_settings", "welcome_text"),
        ):
            for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                if value and re.search("[\ud800-\udfff\x00]", value):
                    found.append(f"{table}.{column}: {value[:40]!r}")
    return found


@pytest.fixture(scope="module")
def tabs(fuzz_app: RunningApp):  # type: ignore[no-untyped-def]
    opened = Tabs(fuzz_app.url)
    yield opened
    opened.close()


def _log_errors(app: RunningApp, since: int) -> list[str]:
    text = app.log_path.read_text(encoding="utf-8", errors="backslashreplace")[since:]
    return [line for line in text.splitlines() if "unhandled error" in line or "Logging error" in line]


EVENT = st.sampled_from(HANDLERS)


@st.composite
def refused_events(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    batch = []
    for _ in range(draw(st.integers(5, 25))):
        name, handler = draw(EVENT)
        payload = draw(any_payload(handler) | typed_payload(handler))
        if _refused(handler, payload):
            batch.append((name, payload))
    return batch


@st.composite
def typed_events(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, draw(typed_payload(handler)))
        for name, handler in (draw(EVENT) for _ in range(draw(st.integers(5, 25))))
        if not name.endswith((".logout", ".open_app", ".setvar"))  # they would end the fuzzing tabs
    ]


def test_every_handler_is_enumerated() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in HANDLERS}
    assert {"submit", "send", "save", "open_app", "on_load", "set_department"} <= names
    assert len(HANDLERS) > 100


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    # The tabs and the database carry over from one example to the next: shrinking a
    # failure would replay it on a changed app, so the failing batch is reported as found.
    phases=[Phase.explicit, Phase.generate],
)


@SETTINGS
@given(batch=refused_events())
def test_refused_payloads_change_nothing_and_answer_in_russian(
    tabs: Tabs, fuzz_app: RunningApp, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    db_path = fuzz_app.env["DATABASE_URL"].split("///", 1)[1]
    log_from = fuzz_app.log_path.stat().st_size
    before, toasts = _database_fingerprint(db_path), len(tabs.toasts)
    tabs.send(batch)
    assert _database_fingerprint(db_path) == before
    assert not tabs.english
    assert all(CYRILLIC.search(t) for t in tabs.toasts[toasts:]), tabs.toasts[toasts:]
    assert len(tabs.toasts) - toasts >= len(batch)  # each refused event says so
    assert _log_errors(fuzz_app, log_from) == []


@SETTINGS
@given(batch=typed_events())
def test_well_typed_nasty_payloads_never_break_the_app(
    tabs: Tabs, fuzz_app: RunningApp, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    db_path = fuzz_app.env["DATABASE_URL"].split("///", 1)[1]
    log_from, toasts = fuzz_app.log_path.stat().st_size, len(tabs.toasts)
    tabs.send(batch)
    assert not tabs.english
    assert all(CYRILLIC.search(t) for t in tabs.toasts[toasts:]), tabs.toasts[toasts:]
    assert _log_errors(fuzz_app, log_from) == []
    assert _stored_bad_text(db_path) == []


def test_report_inputs(tabs: Tabs) -> None:
    print(f"\nfuzz: {tabs.sent} events sent, {len(tabs.toasts)} Russian toasts, {len(HANDLERS)} handlers")
    assert tabs.sent > 0 and not tabs.english
