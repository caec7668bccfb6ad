"""Scale-out (P16): two app processes on one PostgreSQL and one redis-server, in Chromium.

The client's phone app is served by instance A, the employee's CRM by instance B: every
live update crosses from one process to the other through Redis. Both instances run the
inactivity sweep (B9) every second, and redis-server is restarted mid-conversation
(it runs with ``--appendonly yes``, as README tells production to, so the Reflex states
it holds survive).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
import redis
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import create_engine

from chat_crm import realtime
from chat_crm.config import PROJECT_ROOT
from chat_crm.models import utcnow
from tests import servers
from tests.bot_rules import bot_rules_on
from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, send

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.feature("P16", "M1", "M11")]

NO_REPLY = "Мы не получили ответа и закрываем диалог."
LIVE = 15_000  # ms: two app processes and Chromium share two cores
# Right after a Redis restart a tab may wait once for its Reflex state lock: an event caught
# by the restart leaves the lock in Redis until it expires (redis_lock_expiration, 10 s).
AFTER_RESTART = 30_000


# ---- the servers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.RestartableRedis]:
    with servers.restartable_redis_server(tmp_path_factory.mktemp("redis-aof")) as redis:
        yield redis


@pytest.fixture(scope="module")
def scale_db(postgres_url: str) -> Iterator[str]:
    """A fresh database on the session's PostgreSQL, migrated and with the demo, once."""
    name = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    subprocess.run(
        [sys.executable, "-m", "chat_crm.demo"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def db(scale_db: str) -> Iterator[sa.Engine]:
    engine = create_engine(scale_db.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def instances(
    tmp_path_factory: pytest.TempPathFactory, scale_db: str, shared_redis: servers.RestartableRedis
) -> Iterator[tuple[RunningApp, RunningApp]]:
    """Instance A (one worker) and instance B (two workers): the same database and Redis,
    each its own port and PUBLIC_BASE_URL, so each its own frontend build."""
    attachments = tmp_path_factory.mktemp("attachments")  # one folder for every instance

    def instance(name: str, workers: int) -> RunningApp:
        data = tmp_path_factory.mktemp(f"instance-{name}")
        return RunningApp(
            data,
            {
                "DATABASE_URL": scale_db,
                "REDIS_URL": shared_redis.url,
                "ATTACHMENTS_DIR": str(attachments),
                "GRANIAN_WORKERS": str(workers),
                "TIMER_INTERVAL_SECONDS": "1",
                # The frontend is built with this instance's PUBLIC_BASE_URL: its own folder
                # (chat_crm.serve builds there, and only when something changed).
                "REFLEX_WEB_WORKDIR": str(data / "web"),
            },
        )

    apps = (instance("a", 1), instance("b", 2))
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(RunningApp.start, apps))
        yield apps
    finally:
        for app in apps:
            app.stop()


# ---- helpers ---------------------------------------------------------------------------------


def _open_chats(db: sa.Engine, how_many: int, skip: int) -> list[tuple[int, int]]:
    """(client id, chat id) of demo chats with an open dialog and the bot out of the way."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT client_id, id FROM chat WHERE dialog_state = 'open' AND bot_step = 'none' "
                "ORDER BY id OFFSET :skip LIMIT :n"
            ),
            {"skip": skip, "n": how_many},
        ).all()
    return [(r[0], r[1]) for r in rows]


def _count(db: sa.Engine, sql: str, **params: object) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def _rows_with(db: sa.Engine, chat_id: int, text: str) -> int:
    return _count(
        db,
        "SELECT count(*) FROM message WHERE chat_id = :chat AND text LIKE :text",
        chat=chat_id,
        text=f"%{text}%",
    )


def _pair(
    browser: Browser, instances: tuple[RunningApp, RunningApp], client_id: int, chat_id: int
) -> tuple[Page, Page]:
    """The client in /app on instance A, the manager on the chat card on instance B."""
    a, b = instances
    client = browser.new_context().new_page()
    open_client_app(client, a.url, str(client_id))
    expect(client.get_by_placeholder("Сообщение")).to_be_visible(timeout=LIVE)
    staff = browser.new_context().new_page()
    login(staff, b.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    staff.goto(f"{b.url}/support/chats/{chat_id}")
    expect(staff.get_by_role("heading", name="Чат №")).to_be_visible(timeout=LIVE)
    return client, staff


def _context_menu_edit(page: Page, old: str, new: str) -> None:
    bubble(page, old).click(button="right")
    page.get_by_role("menu").get_by_role("menuitem", name="Редактировать").click()
    page.get_by_placeholder("Сообщение").fill(new)
    page.locator("form[data-chat-composer]").get_by_role("button", name="Сохранить").click()


# ---- the tests -------------------------------------------------------------------------------


@pytest.mark.feature("M6", "M7")
def test_live_messages_read_marks_and_edits_cross_between_instances(
    instances: tuple[RunningApp, RunningApp], browser: Browser, db: sa.Engine
) -> None:
    ((client_id, chat_id),) = _open_chats(db, 1, skip=0)
    client, staff = _pair(browser, instances, client_id, chat_id)
    stamp = uuid.uuid4().hex[:6]

    # Client (A) → employee (B), live; the employee has the chat open, so it is read (M11).
    send(client, f"Вопрос {stamp}")
    expect(bubble(staff, f"Вопрос {stamp}")).to_be_visible(timeout=LIVE)
    expect(bubble(client, f"Вопрос {stamp}").get_by_test_id("read-mark")).to_be_visible(timeout=LIVE)

    # Employee (B) → client (A), live; then the employee edits it and the client sees the edit.
    send(staff, f"Ответ {stamp}")
    expect(bubble(client, f"Ответ {stamp}")).to_be_visible(timeout=LIVE)
    _context_menu_edit(staff, f"Ответ {stamp}", f"Ответ исправлен {stamp}")
    expect(bubble(client, f"Ответ исправлен {stamp}")).to_contain_text("изменено", timeout=LIVE)

    # The client edits its own message, unread because the employee left the chat (M7):
    # the employee, back on the card, sees the new text, not the old one.
    staff.goto(f"{instances[1].url}/support/chats")
    send(client, f"Опечатка {stamp}")
    expect(bubble(client, f"Опечатка {stamp}")).to_be_visible(timeout=LIVE)
    _context_menu_edit(client, f"Опечатка {stamp}", f"Исправлено {stamp}")
    expect(bubble(client, f"Исправлено {stamp}")).to_contain_text("изменено", timeout=LIVE)
    staff.goto(f"{instances[1].url}/support/chats/{chat_id}")
    expect(bubble(staff, f"Исправлено {stamp}")).to_be_visible(timeout=LIVE)
    expect(bubble(staff, f"Опечатка {stamp}")).to_have_count(0)
    # Opening the chat read it: the client's mark appears live on instance A.
    expect(bubble(client, f"Исправлено {stamp}").get_by_test_id("read-mark")).to_be_visible(timeout=LIVE)

    # Nothing lost or doubled: three rows, each shown once on each screen.
    assert _rows_with(db, chat_id, stamp) == 3
    for page in (client, staff):
        expect(page.locator("[data-testid=message]").filter(has_text=stamp)).to_have_count(3)
    assert (
        _count(
            db,
            "SELECT count(*) FROM message WHERE chat_id = :c AND text LIKE :t AND read_at IS NULL "
            "AND author_kind = 'client'",
            c=chat_id,
            t=f"%{stamp}%",
        )
        == 0
    )
    client.context.close()
    staff.context.close()


@pytest.fixture
def bot_on(db: sa.Engine) -> Iterator[None]:
    """Bot on, one rule per topic over every project (as tests/e2e/test_bot_dialog.py)."""
    with bot_rules_on(db):
        yield


@pytest.mark.feature("B9")
def test_an_inactivity_close_happens_once_though_both_instances_sweep(
    instances: tuple[RunningApp, RunningApp], browser: Browser, db: sa.Engine, bot_on: None
) -> None:
    with db.begin() as conn:  # a picker client who owns units, its last dialog closed: the bot greets
        client_id, chat_id = conn.execute(
            sa.text(
                "SELECT c.client_id, c.id FROM chat c WHERE c.client_id BETWEEN 20 AND 35 AND EXISTS "
                "(SELECT 1 FROM client_unit u WHERE u.client_id = c.client_id) ORDER BY c.id DESC LIMIT 1"
            )
        ).one()
        conn.execute(
            sa.text("UPDATE chat SET dialog_state = 'closed', bot_step = 'none' WHERE id = :c"),
            {"c": chat_id},
        )
    client = browser.new_context().new_page()
    open_client_app(client, instances[0].url, str(client_id))
    expect(client.get_by_test_id("unit-choice").first).to_be_visible(timeout=LIVE)
    staff = browser.new_context().new_page()  # the employee watches the same chat on B
    login(staff, instances[1].url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    staff.goto(f"{instances[1].url}/support/chats/{chat_id}")
    expect(staff.get_by_role("heading", name="Чат №")).to_be_visible(timeout=LIVE)
    before = _rows_with(db, chat_id, NO_REPLY)

    # The clock is the one fake: move the deadline into the past; both sweeps see it.
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE chat SET inactivity_due_at = :due WHERE id = :c"),
            {"due": utcnow() - timedelta(seconds=1), "c": chat_id},
        )
    expect(bubble(client, NO_REPLY)).to_have_count(1, timeout=LIVE)
    expect(bubble(staff, NO_REPLY)).to_have_count(1, timeout=LIVE)
    time.sleep(4)  # several more sweeps of each instance
    assert _rows_with(db, chat_id, NO_REPLY) - before == 1
    closes = _count(
        db,
        "SELECT count(*) FROM chat_change WHERE chat_id = :c AND field = 'dialog' "
        "AND note = 'Клиент не ответил за время «Повторный запуск»'",
        c=chat_id,
    )
    assert closes == 1
    assert _count(db, "SELECT count(*) FROM chat WHERE id = :c AND dialog_state = 'closed'", c=chat_id) == 1
    expect(bubble(client, NO_REPLY)).to_have_count(1)
    expect(bubble(staff, NO_REPLY)).to_have_count(1)
    client.context.close()
    staff.context.close()


def _bus_listeners(redis_url: str) -> int:
    """How many app workers listen on the event bus (each worker subscribes once)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return int(dict(client.pubsub_numsub(realtime.CHANNEL))[realtime.CHANNEL.encode()])
    except redis.RedisError:
        return 0
    finally:
        client.close()


def _wait_for_listeners(redis_url: str, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _bus_listeners(redis_url) < count:
        assert time.monotonic() < deadline, "the app workers did not resubscribe to the event bus"
        time.sleep(0.1)


def test_after_a_redis_restart_messages_flow_both_ways_none_lost_or_doubled(
    instances: tuple[RunningApp, RunningApp],
    browser: Browser,
    db: sa.Engine,
    shared_redis: servers.RestartableRedis,
) -> None:
    ((client_id, chat_id),) = _open_chats(db, 1, skip=1)
    client, staff = _pair(browser, instances, client_id, chat_id)
    stamp = uuid.uuid4().hex[:6]
    send(client, f"До перезапуска {stamp}")
    expect(bubble(staff, f"До перезапуска {stamp}")).to_be_visible(timeout=LIVE)
    send(staff, f"Ответ до перезапуска {stamp}")
    expect(bubble(client, f"Ответ до перезапуска {stamp}")).to_be_visible(timeout=LIVE)
    listeners = _bus_listeners(shared_redis.url)
    assert listeners == 3  # A's worker and B's two

    shared_redis.restart()
    # The client writes at once, before the workers are back on the bus: the row is stored,
    # and the employee's screen gets it at the latest with the next message (by last id).
    send(client, f"Сразу после перезапуска {stamp}")
    expect(bubble(client, f"Сразу после перезапуска {stamp}")).to_be_visible(timeout=AFTER_RESTART)
    _wait_for_listeners(shared_redis.url, listeners)

    # The same tabs, no reload: their Reflex states came back from the append-only file.
    sent: list[str] = []
    for n in range(3):
        for sender, receiver, who in ((client, staff, "клиент"), (staff, client, "сотрудник")):
            text = f"После перезапуска {who} {n} {stamp}"
            send(sender, text)
            sent.append(text)
            expect(bubble(receiver, text)).to_be_visible(timeout=AFTER_RESTART)

    expect(bubble(staff, f"Сразу после перезапуска {stamp}")).to_have_count(1)
    total = 3 + len(sent)
    assert _rows_with(db, chat_id, stamp) == total
    for text in sent:
        assert _rows_with(db, chat_id, text) == 1
        for page in (client, staff):
            expect(bubble(page, text)).to_have_count(1)
    for page in (client, staff):
        expect(page.locator("[data-testid=message]").filter(has_text=stamp)).to_have_count(total)
    client.context.close()
    staff.context.close()


def test_a_message_sent_the_moment_redis_is_back_arrives_live_by_itself(
    instances: tuple[RunningApp, RunningApp],
    browser: Browser,
    db: sa.Engine,
    shared_redis: servers.RestartableRedis,
) -> None:
    """Events published while the workers resubscribe are lost on the bus; each worker
    re-reads its screens' chats once it is back (``live.run_listener``)."""
    ((client_id, chat_id),) = _open_chats(db, 1, skip=2)
    client, staff = _pair(browser, instances, client_id, chat_id)
    stamp = uuid.uuid4().hex[:6]
    send(client, f"До {stamp}")
    expect(bubble(staff, f"До {stamp}")).to_be_visible(timeout=LIVE)
    listeners = _bus_listeners(shared_redis.url)
    shared_redis.restart()
    send(client, f"Сразу {stamp}")
    try:
        try:
            expect(bubble(staff, f"Сразу {stamp}")).to_be_visible(timeout=AFTER_RESTART)
        except AssertionError as err:
            stored = _rows_with(db, chat_id, f"Сразу {stamp}")
            shown = bubble(client, f"Сразу {stamp}").count()
            raise AssertionError(
                f"not on the employee's screen; rows {stored}, on the client's {shown}"
            ) from err
    finally:
        client.context.close()
        staff.context.close()
        _wait_for_listeners(shared_redis.url, listeners)
