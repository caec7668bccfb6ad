"""Login in the browser (issue 9): the HttpOnly session cookie, throttling in Russian, «Выйти»."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import RunningApp, login


def test_the_session_cookie_is_httponly_and_never_reaches_scripts_or_the_websocket(
    app_server: RunningApp, browser: Browser
) -> None:
    page = browser.new_context().new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    login(page, app_server.url, "manager@demo.ru")
    page.wait_for_url("**/support/chats")
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "chat_crm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "chat_crm_session" not in page.evaluate("document.cookie")
    assert frames and not any(cookie["value"] in frame for frame in frames)

    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login")
    assert not [c for c in page.context.cookies() if c["name"] == "chat_crm_session"]
    page.goto(f"{app_server.url}/support/chats")
    page.wait_for_url("**/login")
    page.context.close()


def test_repeated_wrong_passwords_lock_the_account_in_russian(
    app_server: RunningApp, browser: Browser
) -> None:
    """Events of a tab run in order, so the sixth try is answered after the five failures."""
    page = browser.new_context().new_page()
    page.goto(f"{app_server.url}/login")
    alert = page.get_by_role("alert")
    for attempt in range(1, 7):
        page.get_by_label("E-mail").fill("locked-out@demo.ru")
        page.get_by_label("Пароль").fill(f"guess-{attempt}")
        page.get_by_role("button", name="Войти").click()
        if attempt <= 5:
            expect(alert).to_have_text("Неверный e-mail или пароль")
    expect(alert).to_have_text("Слишком много попыток входа. Повторите через 1 мин.")
    page.context.close()
