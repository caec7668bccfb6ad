"""Step 7 of the foundation: the live path between a client and an employee, in Chromium."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, send

pytestmark = pytest.mark.e2e


@pytest.mark.feature("A2")
def test_crm_pages_require_login_and_a_wrong_password_is_explained(
    app_server: RunningApp, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{app_server.url}/support/chats/1")
    page.wait_for_url("**/login")
    login(page, app_server.url, "manager@demo.ru", "неверный", refused=True)
    expect(page.get_by_role("alert")).to_have_text("Неверный e-mail или пароль")
    page.close()


@pytest.mark.feature("M1", "C5", "L1", "B8", "M10")
def test_a_message_travels_live_both_ways_and_survives_reload_and_restart(
    app_server: RunningApp, browser: Browser
) -> None:
    stamp = str(int(time.time()))
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()

    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    open_client_app(client, app_server.url, "Иванов Иван Иванович")
    expect(client.get_by_text("Мы на связи")).to_be_visible()  # the S3 welcome stub
    expect(client.get_by_text("Продолжая переписку, вы соглашаетесь")).to_be_visible()

    send(client, f"Когда выдача ключей? {stamp}")
    expect(bubble(client, stamp)).to_be_visible()
    expect(client.get_by_text("Продолжая переписку, вы соглашаетесь")).to_have_count(0)

    # The chat is in the list, marked unread, and opens to the message.
    staff.reload()
    row = staff.locator("[data-testid=chat-row]").filter(has_text="Иванов Иван Иванович")
    expect(row).to_have_count(1)
    expect(row.locator(".rt-Badge")).to_have_text("1")
    row.get_by_role("link", name="Иванов Иван Иванович").click()
    staff.wait_for_url("**/support/chats/*")
    expect(bubble(staff, f"Когда выдача ключей? {stamp}")).to_be_visible()
    expect(staff.get_by_test_id("history-entry").filter(has_text="Ответственный: — →")).to_have_count(1)

    send(staff, f"Ключи выдаём с понедельника {stamp}")
    expect(bubble(client, f"Ключи выдаём с понедельника {stamp}")).to_be_visible()  # live, no reload
    send(client, f"Спасибо! {stamp}")
    expect(bubble(staff, f"Спасибо! {stamp}")).to_be_visible()  # live, no reload

    # Text is text: markup a client types is shown, never run.
    send(client, f"<b>жирный</b><img src=x onerror=alert(1)> {stamp}")
    expect(bubble(staff, "<b>жирный</b>")).to_be_visible()
    expect(staff.locator("[data-testid=message] b")).to_have_count(0)

    staff.reload()
    expect(bubble(staff, f"Спасибо! {stamp}")).to_be_visible()

    app_server.restart()
    staff.reload()
    expect(bubble(staff, f"Ключи выдаём с понедельника {stamp}")).to_be_visible()
    client.reload()
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    expect(bubble(client, f"Спасибо! {stamp}")).to_be_visible()
    # and still live after the restart
    send(client, f"После перезапуска {stamp}")
    expect(bubble(staff, f"После перезапуска {stamp}")).to_be_visible()
    staff.context.close()
    client.context.close()


@pytest.mark.feature("A3")
def test_an_operator_reads_but_may_not_write(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "operator@demo.ru")
    page.locator("[data-testid=chat-row]").first.get_by_role("link").first.click()
    page.wait_for_url("**/support/chats/*")
    expect(page.get_by_text("У вашей роли нет права «Чат: Отправка сообщений»")).to_be_visible()
    expect(page.get_by_role("button", name="Отправить")).to_have_count(0)
    page.context.close()


@pytest.mark.feature("A1")
def test_roles_page_lists_the_demo_roles_for_the_admin(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "admin@demo.ru")
    page.get_by_role("link", name="Роли доступа").click()
    page.wait_for_url("**/settings/roles")
    operator = page.get_by_role("row").filter(has_text="Оператор")
    expect(operator).to_contain_text("Поддержка: Чат")
    expect(operator).not_to_contain_text("Чат: Отправка сообщений")
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login")
    page.goto(f"{app_server.url}/support/chats")
    page.wait_for_url("**/login")
    page.context.close()


def test_the_websocket_accepts_only_the_apps_origin(app_server: RunningApp) -> None:
    ws_url = app_server.url.replace("http", "ws") + "/_event/?EIO=4&transport=websocket"
    with connect(ws_url, origin=app_server.url, open_timeout=10) as ws:  # type: ignore[arg-type]
        assert ws.recv(timeout=10).startswith("0")  # engine.io "open"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin="http://evil.example", open_timeout=10)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403


@pytest.mark.feature("L2", "L7")
def test_search_by_name_and_number_and_the_new_tab(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "manager@demo.ru")
    page.wait_for_url("**/support/chats")
    rows = page.locator("[data-testid=chat-row]")
    first_name = rows.first.get_by_role("link").nth(1).inner_text()
    search = page.get_by_placeholder("Поиск по номеру чата и ФИО клиента")
    search.fill(first_name.split()[0].lower())  # lower-case Cyrillic still matches
    expect(rows.filter(has_text=first_name).first).to_be_visible()
    search.fill("7")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link").first).to_have_text("7")
    page.get_by_role("tab", name="Новые").click()
    expect(search).to_have_count(0)  # search lives only on «Все»
    expect(rows.first).to_be_visible()
    badges = rows.locator(".rt-Badge")
    expect(badges).to_have_count(rows.count())  # every chat on «Новые» has unread messages
    page.context.close()
