"""Screens without a browser: python-socketio clients that speak Reflex's protocol as the
browser does (captured with Playwright's ``page.on("websocket")``), for «Чат» and the floor.

What the browser sends on ``/_event/?token=<uuid>`` (Socket.IO namespace ``/_event``):

- On connect, the CONNECT packet's auth carries the page's first event,
  ``{"event": {"name": "reflex___state____state.hydrate_and_load", "payload": {"vars": {...}},
  "router_data": {"pathname": "/support/chats/221", "asPath": ..., "query": {"chat_id": "221"}}}}``.
  ``vars`` holds the client-side cookies and local storage a state reads (the session
  cookies are HttpOnly: they go in the handshake's Cookie header instead);
  the browser also sends ``hashes`` (its initial state, to skip resending it) and
  ``state_schema``, both optional. Hydration runs the page's ``on_load``.
- Then each event is ``emit("event", {"name": "<state path>.<handler>", "payload": {...},
  "router_data": {"pathname": ..., "asPath": ..., "query": ...}})``. A form submit's payload is
  ``{"form": {"__reflex_form_data__": [["text", "..."]]}}``.
- The server answers with ``event`` packets ``{"delta": {"<state path>": {"<var>_rx_state_": ...}}}``.

The session cookies are HttpOnly and never in a delta (issue 9): ``LoginState.submit`` and the
app's ``open_app`` answer with a script that loads ``/auth/session?ticket=…``; that route's
Set-Cookie holds the token, and a new socket sends it in its handshake's Cookie header, as the
browser does after the page load. The client app (/app): ``set_picked``, ``set_channel``,
``open_app``, the ticket, a new socket with the cookie, ``open_chat``. An employee logs in once
on /login and opens chat cards with that cookie.

A message's text is ``bench <id> <epoch ms>``; a screen stamps the first arrival of each id in
``messages`` or ``fresh`` with its own clock (same host, no skew).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import socketio

ROOT = "reflex___state____state"
HYDRATE = f"{ROOT}.hydrate_and_load"
CLIENT_STATE = f"{ROOT}.chat_crm___states___client_app____client_app_state"
SESSION_STATE = f"{ROOT}.chat_crm___states___session____session_state"
LOGIN_STATE = f"{SESSION_STATE}.chat_crm___states___session____login_state"
CARD_STATE = f"{SESSION_STATE}.chat_crm___states___chat_card____chat_card_state"
FLOOR_STATE = (
    "reflex___state____state.reflex___istate___shared____shared_state_base_internal"
    ".floorapp___floorapp____room"
)
MESSAGE_LISTS = ("messages_rx_state_", "fresh_rx_state_")
MARK = re.compile(r"bench (\S+) (\d+(?:\.\d+)?)")
TICKET = re.compile(r"/auth/session\?ticket=([A-Za-z0-9_\-%]+)")
EMPLOYEE_COOKIE, CLIENT_COOKIE = "chat_crm_session", "chat_crm_app"

Sink = Callable[[str, float], None]


def now_ms() -> float:
    return time.time() * 1000


def form(text: str) -> dict[str, Any]:
    return {"form": {"__reflex_form_data__": [["text", text]]}}


class Screen:
    """One browser tab: one socket, one token, the vars it was sent so far."""

    def __init__(
        self,
        base: str,
        path: str,
        query: dict[str, str] | None = None,
        sink: Sink | None = None,
        mark_read_after: float = 0.3,
    ) -> None:
        self.base = base
        self.token = str(uuid.uuid4())
        self.router: dict[str, Any] = {"pathname": path, "asPath": path}
        if query:
            self.router["query"] = query
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self._on_event, namespace="/_event")
        self.cookies: dict[str, str] = {}
        self.ticket = ""
        self.vars: dict[str, dict[str, Any]] = {}
        self.sent: set[str] = set()
        self.first_seen: dict[str, float] = {}
        self.sink = sink
        self.updates = 0
        self._changed = asyncio.Event()
        # «Прочитано» from the browser: once the state has ``read_up_to``, the tab sends
        # ``mark_read`` itself, debounced, as the real page does while it is visible.
        self.state_path = ""
        self.mark_read_after = mark_read_after
        self._mark_task: asyncio.Task | None = None
        self.mark_reads = 0

    # ---- the wire ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Origin": self.base}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    async def connect(self, vars_: dict[str, str] | None = None, timeout: float = 60) -> None:
        hydrate: dict[str, Any] = {"name": HYDRATE, "payload": {}, "router_data": dict(self.router)}
        if vars_:
            hydrate["payload"]["vars"] = vars_
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path="/_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers=self._headers(),
            auth={"event": hydrate},
            wait_timeout=timeout,
        )

    async def connect_plain(self, timeout: float = 60) -> None:
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path="/_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers={"Origin": self.base},
            wait_timeout=timeout,
        )

    async def emit(self, name: str, payload: dict[str, Any] | None = None) -> None:
        await self.sio.emit(
            "event",
            {"name": name, "payload": payload or {}, "router_data": dict(self.router)},
            namespace="/_event",
        )

    async def close(self) -> None:
        if self._mark_task is not None:
            self._mark_task.cancel()
        try:
            await self.sio.disconnect()
        except Exception:  # noqa: BLE001 - a server that already went away
            pass

    # ---- what arrives --------------------------------------------------------------------------
    async def redeem_ticket(self, timeout: float = 60) -> None:
        """Load /auth/session as the browser would; keep the cookie it sets, then reconnect."""
        await self.wait_for(lambda: bool(self.ticket), timeout, "the session ticket")
        async with httpx.AsyncClient(base_url=self.base, timeout=timeout) as http:
            response = await http.get(f"/auth/session?ticket={self.ticket}", headers={"Origin": self.base})
        wanted = (EMPLOYEE_COOKIE, CLIENT_COOKIE)
        self.cookies.update({k: v for k, v in response.cookies.items() if k in wanted})
        self.ticket = ""
        await self.close()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self._on_event, namespace="/_event")
        await self.connect(timeout=timeout)

    async def _on_event(self, update: Any) -> None:
        arrived = now_ms()
        if isinstance(update, dict) and update.get("events"):
            found_ticket = TICKET.search(str(update["events"]))
            if found_ticket:
                self.ticket = found_ticket.group(1)
        delta = (update or {}).get("delta") or {} if isinstance(update, dict) else {}
        fresh_ids = False
        for path, values in delta.items():
            if not isinstance(values, dict):
                continue
            self.vars.setdefault(path, {}).update(values)
            if "read_up_to_rx_state_" in values:
                self.state_path = path
            for key in MESSAGE_LISTS:
                items = values.get(key)
                if not isinstance(items, list):
                    continue
                for item in items:
                    text = item.get("text", "") if isinstance(item, dict) else str(item)
                    found = MARK.search(text or "")
                    if found is None or found.group(1) in self.first_seen:
                        continue
                    mid = found.group(1)
                    self.first_seen[mid] = arrived
                    if mid not in self.sent:
                        fresh_ids = True
                        if self.sink is not None:
                            self.sink(mid, arrived - float(found.group(2)))
        self.updates += 1
        self._changed.set()
        if fresh_ids and self.state_path and self.mark_read_after >= 0:
            if self._mark_task is not None:
                self._mark_task.cancel()
            self._mark_task = asyncio.create_task(self._mark_read_later())

    async def _mark_read_later(self) -> None:
        await asyncio.sleep(self.mark_read_after)
        self.mark_reads += 1
        await self.emit(f"{self.state_path}.mark_read")

    def var(self, path: str, name: str, default: Any = None) -> Any:
        return self.vars.get(path, {}).get(f"{name}_rx_state_", default)

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{what or 'condition'} not met in {timeout} s on {self.router}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass

    def doubled(self) -> int:
        """Ids shown more than once right now: within ``messages``, within ``fresh``, or in both."""
        count = 0
        for values in self.vars.values():
            ids: list[str] = []
            for key in MESSAGE_LISTS:
                for item in values.get(key) or []:
                    text = item.get("text", "") if isinstance(item, dict) else str(item)
                    found = MARK.search(text or "")
                    if found:
                        ids.append(found.group(1))
            count += len(ids) - len(set(ids))
        return count


# ---- «Чат» ---------------------------------------------------------------------------------------


class ClientScreen(Screen):
    """The simulated phone app at /app, as one demo client, on the chat screen."""

    def __init__(self, base: str, client_id: int, sink: Sink | None = None, mark_read_after: float = 0.3):
        super().__init__(base, "/app/", sink=sink, mark_read_after=mark_read_after)
        self.client_id = client_id

    async def open(self, timeout: float = 60) -> None:
        await self.connect(timeout=timeout)
        await self.emit(f"{CLIENT_STATE}.set_picked", {"value": str(self.client_id)})
        await self.emit(f"{CLIENT_STATE}.set_channel", {"value": "ios"})
        await self.emit(f"{CLIENT_STATE}.open_app")
        await self.redeem_ticket(timeout)
        await self.emit(f"{CLIENT_STATE}.open_chat", {"unit_id": 0})
        await self.wait_for(lambda: self.var(CLIENT_STATE, "screen") == "chat", timeout, "the chat screen")

    async def send(self, mid: str) -> None:
        self.sent.add(mid)
        await self.emit(f"{CLIENT_STATE}.send", form(f"bench {mid} {now_ms():.3f}"))


async def login(base: str, email: str, password: str = "demo", timeout: float = 60) -> str:
    """Log in on /login as the browser does; returns the session cookie's value."""
    screen = Screen(base, "/login/")
    await screen.connect(timeout=timeout)
    await screen.emit(
        f"{LOGIN_STATE}.submit",
        {"form": {"__reflex_form_data__": [["email", email], ["password", password]]}},
    )
    await screen.redeem_ticket(timeout)
    token = screen.cookies.get(EMPLOYEE_COOKIE, "")
    await screen.close()
    if not token:
        raise RuntimeError(f"login as {email} gave no session cookie")
    return token


class EmployeeScreen(Screen):
    """A CRM chat card /support/chats/<id>, opened with an employee's session cookie."""

    def __init__(
        self,
        base: str,
        chat_id: int,
        session_token: str,
        sink: Sink | None = None,
        mark_read_after: float = 0.3,
    ):
        super().__init__(
            base,
            f"/support/chats/{chat_id}",
            {"chat_id": str(chat_id)},
            sink=sink,
            mark_read_after=mark_read_after,
        )
        self.chat_id = chat_id
        self.session_token = session_token

    async def open(self, timeout: float = 60) -> None:
        self.cookies[EMPLOYEE_COOKIE] = self.session_token
        await self.connect(timeout=timeout)
        await self.wait_for(
            lambda: (
                self.var(CARD_STATE, "chat_id") == self.chat_id and self.var(CARD_STATE, "card") is not None
            ),
            timeout,
            "the chat card",
        )

    async def send(self, mid: str) -> None:
        self.sent.add(mid)
        await self.emit(f"{CARD_STATE}.send", form(f"bench {mid} {now_ms():.3f}"))


# ---- the floor ------------------------------------------------------------------------------------


class FloorScreen(Screen):
    """A tab on the floor's /r/<room>: joins the room's SharedState (floor/sio_load.py)."""

    def __init__(self, base: str, room: str, sink: Sink | None = None):
        super().__init__(base, f"/r/{room}", {"room": room}, sink=sink, mark_read_after=-1)
        self.room = room

    async def open(self, timeout: float = 60) -> None:
        await self.connect_plain(timeout)
        await self.emit(f"{FLOOR_STATE}.join_room", {"room": self.room})
        await self.wait_for(lambda: FLOOR_STATE in self.vars, timeout, "the room")

    async def send(self, mid: str) -> None:
        self.sent.add(mid)
        await self.emit(f"{FLOOR_STATE}.post", {"text": f"bench {mid} {now_ms():.3f}"})


async def open_all(screens: list[Screen], batch: int = 20, timeout: float = 120) -> float:
    """Open screens ``batch`` at a time; returns the seconds it took."""
    started = time.monotonic()
    for i in range(0, len(screens), batch):
        await asyncio.gather(*(s.open(timeout) for s in screens[i : i + batch]))  # type: ignore[attr-defined]
    return time.monotonic() - started
