"""Staff alerts in the browser (N1, N2): the «Уведомления» badge grows live, its entry opens the
chat, the mail reaches a real SMTP server and the push a loopback push service.

This module starts its own app (its SMTP settings point at an aiosmtpd on loopback), so the
roles' channels can be set for the test without disturbing the shared app.
Chromium here has no push service (no internet): the one-click control is checked up to the
service worker's registration and the Russian message; the push itself is subscribed
through ``POST /push/subscribe`` from the page, with the page's own session cookie.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from chat_crm.texts import t
from tests import servers
from tests.e2e.conftest import RunningApp, login, open_client_app, send

pytestmark = [pytest.mark.e2e]

ALL_CHANNELS = json.dumps({"chat_new_message": ["push", "email"], "chat_assigned": ["push", "email"]})


@pytest.fixture(scope="module")
def alerts_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, servers.SmtpServer]]:
    with servers.smtp_server() as smtp:
        app = RunningApp(
            tmp_path_factory.mktemp("alerts"),
            {
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp.port),
                "SMTP_SENDER": "chat@demo.ru",
                "OUTBOX_INTERVAL_SECONDS": "0.5",
            },
        )
        app.load_demo()
        engine = sa.create_engine(app.env["DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE role SET notifications = :n"), {"n": ALL_CHANNELS})
        engine.dispose()
        app.start()
        yield app, smtp
        app.stop()


def _db(app: RunningApp) -> sa.Engine:
    return sa.create_engine(app.env["DATABASE_URL"])


CHAT_OF = sa.text(
    "SELECT chat.id, chat.number, employee.email FROM chat"
    " JOIN client ON client.id = chat.client_id JOIN employee ON employee.id = chat.responsible_id"
    " WHERE client.full_name = :n"
)


def _chat_of(app: RunningApp, client_name: str) -> tuple[int, int, str] | None:
    """(chat id, chat number, the responsible's e-mail) of the client's chat, once assigned."""
    engine = _db(app)
    with engine.connect() as conn:
        row = conn.execute(CHAT_OF, {"n": client_name}).first()
    engine.dispose()
    return (int(row[0]), int(row[1]), str(row[2])) if row else None


def _wait(what: str, ok, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _subscribe_from_page(page: Page, subscription: dict) -> dict:
    return page.evaluate(
        """async (sub) => {
            const res = await fetch('/push/subscribe', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json'}, body: JSON.stringify({subscription: sub})});
            return await res.json();
        }""",
        subscription,
    )


@pytest.mark.feature("N1", "N2")
def test_a_client_message_grows_the_badge_live_and_sends_a_mail_and_a_push(
    alerts_app: tuple[RunningApp, servers.SmtpServer], browser: Browser
) -> None:
    app, smtp = alerts_app
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    key = httpx.get(f"{app.url}/push/key", timeout=10).json()["publicKey"]
    with servers.push_service(key) as push:
        name = open_client_app(client, app.url, 46)
        send(client, "Первый вопрос о ключах")  # opens the dialog: a responsible is assigned
        _wait("the chat", lambda: _chat_of(app, name) is not None)
        chat_id, number, responsible = _chat_of(app, name) or (0, 0, "")

        login(staff, app.url, responsible)
        bell = staff.get_by_role("button", name=re.compile(t("nav.notifications")))
        expect(bell).to_be_visible()
        bell.click()  # opening «Уведомления» marks everything read
        staff.keyboard.press("Escape")
        expect(staff.get_by_test_id("inbox-badge")).to_have_count(0)
        assert _subscribe_from_page(staff, push.subscription("crm")) == {"ok": True}
        sent_before = len(smtp.messages)

        send(client, "Второй вопрос: когда выдадут ключи?")
        expect(staff.get_by_test_id("inbox-badge")).to_have_text("1", timeout=20_000)  # live, no reload

        headline = f"Новое сообщение в чате витрины №{number}"
        _wait("the mail", lambda: any(m["Subject"] == headline for m in smtp.messages[sent_before:]))
        mail = next(m for m in smtp.messages[sent_before:] if m["Subject"] == headline)
        assert mail["To"] == responsible
        assert f"{app.url}/support/chats/{chat_id}" in mail.get_body(("plain",)).get_content()
        assert f'href="{app.url}/support/chats/{chat_id}"' in mail.get_body(("html",)).get_content()
        _wait("the push", lambda: any(r["title"] == headline for r in push.received))
        pushed = next(r for r in push.received if r["title"] == headline)
        assert pushed["url"] == f"/support/chats/{chat_id}" and "ключи" in pushed["body"]
        assert push.refused == []

        bell.click()
        staff.get_by_test_id("notification").filter(has_text=headline).first.click()
        staff.wait_for_url(re.compile(rf"/support/chats/{chat_id}$"))  # N2: the entry opens the chat
    staff.context.close()
    client.context.close()


@pytest.mark.feature("N1")
def test_the_push_control_registers_the_service_worker_and_explains_in_russian(
    alerts_app: tuple[RunningApp, servers.SmtpServer], browser: Browser
) -> None:
    app, _ = alerts_app
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=app.url)
    page = context.new_page()
    login(page, app.url, "operator@demo.ru")
    toggle = page.get_by_role("button", name=t("push.enable"))
    expect(toggle).to_be_visible()
    page.wait_for_function("() => Boolean(window.chatPush)")  # assets/push.js has loaded
    toggle.click()
    # No push service in this Chromium: a clear Russian message instead of a silent failure.
    expect(page.locator("#push-status")).to_have_text(
        re.compile("|".join(re.escape(t(k)) for k in ("push.failed", "push.unsupported", "push.denied"))),
        timeout=20_000,
    )
    page.wait_for_function(
        "async () => { const r = await navigator.serviceWorker.getRegistration('/');"
        " return Boolean(r && (r.active || r.installing || r.waiting)); }",
        timeout=20_000,
    )
    script = page.evaluate(
        "async () => { const r = await navigator.serviceWorker.getRegistration('/');"
        " return (r.active || r.installing || r.waiting).scriptURL; }"
    )
    assert script == f"{app.url}/sw.js"
    context.close()
