"""Security headers in Chromium (issue 9): every page and route carries them, and the CRM and
the client app still work under the CSP with no violation reported."""

from __future__ import annotations

import io
import sqlite3
import time

import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, send

pytestmark = [pytest.mark.e2e, pytest.mark.security]

# Report every violation, also those a console filter would hide.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _watched(page: Page) -> list[str]:
    page.add_init_script(WATCH_CSP)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    return problems


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def _assert_headers(response: Response | dict[str, str] | None, path: str) -> None:
    assert response is not None, path
    headers = response if isinstance(response, dict) else response.all_headers()
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (path, csp)
    assert "default-src" in csp, path
    assert headers.get("x-frame-options") == "DENY", path
    assert headers.get("referrer-policy") == "same-origin", path
    assert headers.get("x-content-type-options") == "nosniff", path


def _chat_of_file(app_server: RunningApp, attachment_id: int) -> int:
    path = app_server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT chat_id FROM attachment WHERE id = ?", (attachment_id,)).fetchone()[0]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (20, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_pages_carry_the_headers_and_work_under_the_csp(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    staff_problems, client_problems = _watched(staff), _watched(client)
    stamp = str(int(time.time()))

    # The client app: open the chat, attach a picture (a blob: preview, a thumbnail), send.
    _assert_headers(client.goto(f"{app_server.url}/app"), "/app")
    open_client_app(client, app_server.url, "Неавторизованный посетитель")  # a new client of its own
    client.get_by_placeholder("Сообщение").fill(f"Схема {stamp}")
    with client.expect_file_chooser() as chooser:
        client.get_by_role("button", name="Прикрепить файл").click()
    chooser.value.set_files({"name": "схема.png", "mimeType": "image/png", "buffer": _png()})
    expect(client.get_by_test_id("staged-file")).to_contain_text("схема.png")
    client.get_by_role("button", name="Отправить").click()
    picture = bubble(client, f"Схема {stamp}").get_by_test_id("message-image")
    expect(picture).to_be_visible()
    client.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    src = picture.get_attribute("src") or ""
    file_path = src[src.index("/files/") :].removesuffix("/thumb")
    download = client.request.get(app_server.url + file_path)
    assert download.status == 200
    _assert_headers(download.headers, "/files/<id>")
    chat_id = _chat_of_file(app_server, int(file_path.rsplit("/", 1)[1]))

    # The CRM: the login page, the list, the card, a reply that arrives live in the app.
    _assert_headers(staff.goto(f"{app_server.url}/login"), "/login")
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    _assert_headers(staff.goto(f"{app_server.url}/support/chats"), "/support/chats")
    _assert_headers(staff.goto(f"{app_server.url}/support/chats/{chat_id}"), "/support/chats/<id>")
    expect(bubble(staff, f"Схема {stamp}")).to_be_visible()
    send(staff, f"Получили {stamp}")
    expect(bubble(client, f"Получили {stamp}")).to_be_visible()

    assert staff_problems == [] and client_problems == []
    assert _violations(staff) == [] and _violations(client) == []


def test_the_app_cannot_be_framed_by_another_site(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.set_content(
            f'<iframe id="f" onload="this.dataset.loaded=1" src="{app_server.url}/login"></iframe>'
        )
        # A refused frame still fires "load", on Chromium's error page.
        page.wait_for_function("document.getElementById('f').dataset.loaded === '1'")
        frame = page.frame_locator("#f")
        expect(frame.get_by_label("E-mail")).to_have_count(0)
    finally:
        page.close()
