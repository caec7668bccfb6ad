"""Nothing lost (issue 11): pending pushes and mails survive a kill -9 and go out once after.

The app runs as in production (``chat_crm.serve``) with its SMTP server down and its push
service answering 500: the outbox tries, backs off, keeps the rows. Then the app is killed
with SIGKILL, the SMTP server and the push service come back, and the app is started again:
every mail reaches the real aiosmtpd once, every push reaches the loopback push service
once (signed with the app's VAPID key and decrypted there).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa

from chat_crm import config, db
from chat_crm.routes import EMPLOYEE_COOKIE
from chat_crm.services import auth, outbox
from tests import servers
from tests.e2e.conftest import RunningApp

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.feature("N1")]


def _wait(what: str, ok: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, servers.SmtpServer]]:
    smtp = servers.SmtpServer()  # not started: the SMTP server is down
    app = RunningApp(
        tmp_path_factory.mktemp("alerts-durable"),
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_SENDER": "chat@demo.ru",
            "OUTBOX_INTERVAL_SECONDS": "0.5",
            "OUTBOX_BACKOFF_SECONDS": "1",
            "OUTBOX_BACKOFF_MAX_SECONDS": "2",
            "OUTBOX_LEASE_SECONDS": "3",
            "OUTBOX_MAX_ATTEMPTS": "10000",
        },
    )
    app.load_demo()
    app.start()
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = app.env["DATABASE_URL"]  # this process writes the app's database
    config.reload_settings()
    db._engine_for.cache_clear()
    try:
        yield app, smtp
    finally:
        app.stop()
        smtp.stop()
        db.get_engine().dispose()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        config.reload_settings()
        db._engine_for.cache_clear()


def _outbox_rows() -> list[tuple[str, int, str]]:
    with db.get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT status, attempts, channel FROM outbox_item"))]


def test_pending_pushes_and_mails_survive_kill_9_and_go_out_once(app_db) -> None:
    app, smtp = app_db
    key = httpx.get(f"{app.url}/push/key", timeout=10).json()["publicKey"]
    with servers.push_service(key) as push:
        sub = push.subscription("laptop")
        push.answer("laptop", *[500] * 100_000)  # the push service is failing
        token = auth.login("manager@demo.ru", "demo")
        subscribed = httpx.post(
            f"{app.url}/push/subscribe",
            json={"subscription": sub},
            cookies={EMPLOYEE_COOKIE: token},
            timeout=10,
        )
        assert subscribed.json() == {"ok": True}
        manager_id = auth.resolve_employee(token).employee_id  # type: ignore[union-attr]
        with db.unit_of_work() as work:
            for n in (1, 2, 3):
                title = f"Новое сообщение в чате витрины №{n}"
                outbox.enqueue_push(
                    work.session, employee_id=manager_id, title=title, body="…", url=f"/support/chats/{n}"
                )
                outbox.enqueue_email(
                    work.session, employee_id=manager_id, subject=title, text=title, html=f"<p>{title}</p>"
                )

        _wait("failed attempts", lambda: all(s == "pending" and a >= 2 for s, a, _ in _outbox_rows()))
        app.kill()  # kill -9: whatever was claimed or in flight stays in the database
        assert {s for s, _, _ in _outbox_rows()} == {"pending"}

        push.statuses.clear()  # the push service is back (201)
        smtp.start()  # the SMTP server is back
        app.start()
        _wait("delivery after the restart", lambda: {s for s, _, _ in _outbox_rows()} == {"sent"})
        time.sleep(3)  # a few more rounds of the loop: nothing is sent again

        subjects = sorted(m["Subject"] for m in smtp.messages)
        assert subjects == [f"Новое сообщение в чате витрины №{n}" for n in (1, 2, 3)]
        assert len({m["Message-ID"] for m in smtp.messages}) == 3
        assert sorted(r["title"] for r in push.received) == subjects
        assert push.refused == []
