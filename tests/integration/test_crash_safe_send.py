"""Crash-safe sending (P18): kill -9 of the app in the middle of 20 sends, 10 times.

The app runs as ``scripts/run.sh`` runs it (SQLite, no Redis), on one port and data folder,
so a restart reuses its frontend build. In each round one screen (the client app, then the
CRM card, in turn) sends 20 messages; at a random one the app is killed with SIGKILL right
after «Отправить» (before, during or after the store), the next message is typed while it
is down, and the app is started again. The browser holds the draft and the send in flight
with its key (assets/chat.js): after the reconnect the typed text is still in the field, and
the send in flight is resent with the same key. The database then holds every message once.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from chat_crm.config import PROJECT_ROOT
from tests.e2e.conftest import RunningApp, bubble, open_client_app, send

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.feature("P18", "M8")]

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "10"))  # the issue asks for 10
SENDS = 20
AFTER_RESTART = 30_000  # ms: the app restarts and the tab reconnects on two shared cores


@pytest.fixture(scope="module")
def crashing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    web = os.environ.get("REFLEX_WEB_WORKDIR", str(PROJECT_ROOT / ".web")).rstrip("/") + "-crash"
    # 200 sends in a few minutes: the rate limit has its own tests.
    app = RunningApp(tmp_path_factory.mktemp("crash"), {"REFLEX_WEB_WORKDIR": web, "MESSAGE_RATE_LIMIT": "0"})
    app.load_demo()
    app.start()
    yield app
    app.stop()


def _field(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_placeholder("Сообщение")


def _staff_login(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill("manager@demo.ru")
    page.get_by_label("Пароль").fill("demo")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r".*/support/chats/?$"))


def _chat_id(engine: sa.Engine, client_name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT chat.id FROM chat JOIN client ON client.id = chat.client_id WHERE full_name = :n"
            ),
            {"n": client_name},
        ).scalar_one()


def _stored(engine: sa.Engine, stamp: str) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT text FROM message WHERE text LIKE :p"), {"p": f"%{stamp}%"}
        ).scalars()
        return Counter(rows)


def _round(app: RunningApp, page: Page, texts: list[str], kill_at: int, rng: random.Random) -> None:
    """Send ``texts``; right after sending ``texts[kill_at]`` the app is killed; the next text is
    typed while it is down and must still be in the field after the reconnect."""
    i = 0
    while i < len(texts):
        send(page, texts[i])
        if i != kill_at:
            expect(bubble(page, texts[i])).to_have_count(1)
            i += 1
            continue
        time.sleep(rng.uniform(0, 0.3))  # before, while or after the server stores it
        app.kill()
        typed = texts[i + 1]
        _field(page).fill(typed)  # typed while the app is down
        app.start()
        # The send in flight arrives once (resent with its key if it was lost) …
        expect(bubble(page, texts[i])).to_have_count(1, timeout=AFTER_RESTART)
        # … and what was typed is still in the field, to be sent as usual.
        expect(_field(page)).to_have_value(typed, timeout=AFTER_RESTART)
        page.get_by_role("button", name="Отправить").click()
        expect(bubble(page, typed)).to_have_count(1, timeout=AFTER_RESTART)
        i += 2
    for text in texts:
        expect(bubble(page, text)).to_have_count(1)


def test_kill_9_in_the_middle_of_sends_loses_and_doubles_nothing(
    crashing_app: RunningApp, browser: Browser
) -> None:
    app, rng, stamp = crashing_app, random.Random(18), str(int(time.time()))
    engine = sa.create_engine(app.env["DATABASE_URL"])
    client = browser.new_context().new_page()
    staff = browser.new_context().new_page()
    name = open_client_app(client, app.url, 5)  # the app is this test's own
    send(client, f"Начало {stamp}")
    expect(bubble(client, f"Начало {stamp}")).to_be_visible()
    _staff_login(staff, app.url)
    staff.goto(f"{app.url}/support/chats/{_chat_id(engine, name)}")
    expect(bubble(staff, f"Начало {stamp}")).to_be_visible()

    sent: list[str] = [f"Начало {stamp}"]
    for r in range(ROUNDS):
        page, who = (client, "клиент") if r % 2 == 0 else (staff, "менеджер")
        texts = [f"{who} {r}.{n} {stamp}" for n in range(SENDS)]
        _round(app, page, texts, rng.randrange(2, SENDS - 2), rng)
        sent += texts

    stored = _stored(engine, stamp)
    lost = [t for t in sent if stored[t] == 0]
    doubled = [t for t in sent if stored[t] > 1]
    print(f"\nP18: {ROUNDS} kill -9 survived, {len(sent)} messages sent,", end=" ")
    print(f"{len(lost)} lost, {len(doubled)} duplicated")
    assert lost == [] and doubled == []
    assert sum(stored.values()) == len(sent)
    # Nothing stays in flight in the browsers once every send is confirmed.
    for page in (client, staff):
        left = page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('chat_crm_outbox:') && "
            "JSON.parse(localStorage.getItem(k)).pending.length)"
        )
        assert left == []
    engine.dispose()
    client.context.close()
    staff.context.close()
