"""The API and the screens share one live path: a message sent through the API appears on the
employee's open card in the browser, and the employee's reply arrives on the client's SSE stream."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.api.conftest import API, ApiMixin
from tests.e2e.conftest import RunningApp, app_server, bubble, login, open_chat_of, send  # noqa: F401

pytestmark = [pytest.mark.feature("P15"), pytest.mark.e2e]

CLIENT = 154


class SharedApp(ApiMixin):
    """The browser tests' shared app (``app_server``), seen through the API helpers: its token
    secret is the one it made in its data folder on first start (or API_JWT_SECRET)."""

    def __init__(self, app: RunningApp) -> None:
        self.url, self.env = app.url, app.env
        configured = app.env.get("API_JWT_SECRET", "")
        self.secret = configured or (Path(app.env["CHAT_DATA_DIR"]) / "api_jwt_secret").read_text().strip()


@pytest.fixture
def api_app(request: pytest.FixtureRequest) -> SharedApp:
    return SharedApp(request.getfixturevalue("app_server"))


def _listen(api_app: ApiMixin, client_id: int, out: queue.Queue, ready: threading.Event) -> None:
    """Read the client's stream and put each event's (kind, data) on ``out``."""
    try:
        _read_stream(api_app, client_id, out, ready)
    except httpx.HTTPError:  # the app stops at the end of the session with the stream still open
        return


def _read_stream(api_app: ApiMixin, client_id: int, out: queue.Queue, ready: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {api_app.token(client_id)}"}
    with httpx.stream(
        "GET", f"{api_app.url}{API}/chat/events", headers=headers, params={"timeout": 120}, timeout=130
    ) as answer:
        frame: dict[str, str] = {}
        for line in answer.iter_lines():
            if line.startswith(": keep-alive") or line.startswith("retry:"):
                ready.set()
            if line.startswith(("event:", "data:")):
                name, _, value = line.partition(":")
                frame[name] = value.strip()
            elif not line and "data" in frame:
                out.put((frame.get("event", ""), json.loads(frame["data"])))
                frame = {}


def test_an_api_message_shows_live_on_the_card_and_the_reply_comes_back_on_the_stream(
    api_app: SharedApp, browser: Browser
) -> None:
    with api_app.client(CLIENT) as http:
        name = http.get(f"{API}/chat").json()["client_name"]
    staff = browser.new_context().new_page()
    try:
        login(staff, api_app.url, "manager@demo.ru")
        open_chat_of(staff, api_app.url, name)
        events: queue.Queue = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=_listen, args=(api_app, CLIENT, events, ready), daemon=True).start()
        assert ready.wait(30)
        question = f"Вопрос из приложения {uuid.uuid4().hex[:6]}"
        with api_app.client(CLIENT) as http:
            sent = http.post(
                f"{API}/chat/messages", json={"client_msg_id": uuid.uuid4().hex, "text": question}
            )
        assert sent.status_code == 201, sent.text
        expect(bubble(staff, question)).to_be_visible()
        reply = f"Ответ сотрудника {uuid.uuid4().hex[:6]}"
        send(staff, reply)
        expect(bubble(staff, reply)).to_be_visible()
        seen: list[tuple[str, str, str]] = []
        while not any(text == reply for _, _, text in seen):
            kind, data = events.get(timeout=30)
            seen.append((kind, data.get("author_kind", ""), data.get("text", "")))
        assert ("chat.message", "client", question) in seen
        assert ("chat.message", "employee", reply) in seen
    finally:
        staff.context.close()
