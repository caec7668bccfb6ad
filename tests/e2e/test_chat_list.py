"""The operator's inbox in Chromium: «Фильтры» in the URL, sort, hidden columns, «Экспорт»,
the live list and the alerts (L3, L4, L5, L6, L7, P8, P9)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, send

ROWS = "[data-testid=chat-row]"

# Records every Notification the page shows (P9): the browser's own would need a desktop.
CAPTURE_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({title, body: (options || {}).body}); }
};
"""


def _staff(browser: Browser, base_url: str, email: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    context.add_init_script(CAPTURE_NOTIFICATIONS)
    page = context.new_page()
    login(page, base_url, email)
    page.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    expect(page.locator(ROWS).first).to_be_visible()
    return context, page


def _cells(page: Page, column: int) -> list[str]:
    return [text.strip() for text in page.locator(f"{ROWS} td:nth-child({column})").all_inner_texts()]


@pytest.mark.feature("L3")
def test_filters_and_views_live_in_the_url_and_any_column_sorts(
    app_server: RunningApp, browser: Browser
) -> None:
    context, page = _staff(browser, app_server.url, "manager@demo.ru")
    page.get_by_role("button", name="Фильтры").click()
    page.get_by_label("Тема", exact=True).select_option(label="Сделка")
    expect(page).to_have_url(re.compile(r"topic=deal"))
    expect(page.locator(ROWS).first).to_be_visible()
    assert set(_cells(page, 3)) == {"Сделка"}
    page.get_by_label("Проект", exact=True).select_option(label="ЖК «Речной квартал»")
    expect(page).to_have_url(re.compile(r"project=\d+"))
    expect(page.locator(ROWS).first).to_contain_text("Речной квартал")
    assert set(_cells(page, 4)) == {"ЖК «Речной квартал»"}
    shown = _cells(page, 1)

    # The URL is the view: a bookmark (or a colleague) opens the same list.
    other = browser.new_context().new_page()
    login(other, app_server.url, "manager@demo.ru")
    other.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    other.goto(page.url)
    expect(other.locator(ROWS).first).to_be_visible()
    expect(other.locator(ROWS)).to_have_count(len(shown))
    assert _cells(other, 1) == shown
    other.context.close()

    # «Без ответственного» combines with the search.
    page.get_by_role("button", name="Сбросить").click()
    page.get_by_role("button", name="Без ответственного").click()
    expect(page).to_have_url(re.compile(r"view=unassigned"))
    expect(page.locator(ROWS).first).to_be_visible()
    assert set(_cells(page, 5)) == {"—"}
    name = _cells(page, 2)[0].splitlines()[0]
    page.get_by_placeholder("Поиск по номеру чата и ФИО клиента").fill(name)
    expect(page.locator(ROWS).first).to_contain_text(name)
    assert set(_cells(page, 5)) == {"—"}

    # Sort by a column: a click on its header, again to turn the order round; kept in the URL.
    page.goto(f"{app_server.url}/support/chats")
    page.get_by_role("button", name="Номер").click()
    expect(page).to_have_url(re.compile(r"sort=number&dir=asc|dir=asc.*sort=number"))
    expect(page.locator(ROWS).first.locator("td").first).to_have_text("1")
    page.get_by_role("button", name="Клиент").click()
    expect(page).to_have_url(re.compile(r"sort=client"))
    page.wait_for_timeout(300)
    names = [n.splitlines()[0] for n in _cells(page, 2)]
    authorized = [n for n in names if not n.startswith("Неавторизованный")]
    assert authorized == sorted(authorized, key=str.casefold)
    context.close()


@pytest.mark.feature("L4")
def test_hidden_columns_stay_hidden_on_another_device(app_server: RunningApp, browser: Browser) -> None:
    context, page = _staff(browser, app_server.url, "vasiliev@demo.ru")
    expect(page.get_by_role("columnheader", name="Канал")).to_be_visible()
    page.get_by_role("button", name="Столбцы").click()
    page.get_by_role("checkbox", name="Канал").click()
    expect(page.get_by_role("columnheader", name="Канал")).to_be_hidden()
    page.keyboard.press("Escape")
    # Another browser (another device): the same employee sees the column hidden.
    laptop, other = _staff(browser, app_server.url, "vasiliev@demo.ru")
    expect(other.get_by_role("columnheader", name="Канал")).to_be_hidden()
    expect(other.get_by_role("columnheader", name="Тема")).to_be_visible()
    other.get_by_role("button", name="Столбцы").click()
    other.get_by_role("checkbox", name="Канал").click()
    expect(other.get_by_role("columnheader", name="Канал")).to_be_visible()
    laptop.close()
    context.close()


@pytest.mark.feature("L5")
def test_export_writes_the_filtered_list_with_the_visible_columns(
    app_server: RunningApp, browser: Browser, tmp_path: Path
) -> None:
    context, page = _staff(browser, app_server.url, "sokolova@demo.ru")
    page.goto(f"{app_server.url}/support/chats?topic=acceptance&sort=number&dir=asc")
    expect(page.locator(ROWS).first).to_be_visible()
    total = int(re.search(r"чатов: (\d+)", page.get_by_text("чатов:").inner_text())[1])  # type: ignore[index]
    with page.expect_download() as info:
        page.get_by_role("button", name="Экспорт").click()
    download = info.value
    assert re.fullmatch(r"Чаты_\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Номер", "Клиент", "Тема")
    assert len(rows) - 1 == total
    assert {r[2] for r in rows[1:]} == {"Приемка"}
    numbers = [r[0] for r in rows[1:]]
    assert numbers == sorted(numbers)
    # Without a session the file is not there for anyone.
    assert page.request.get(f"{app_server.url}/exports/1-nothing").status == 404
    context.close()


@pytest.mark.feature("P8", "P9", "L6")
def test_a_new_message_moves_its_row_up_counts_and_alerts(app_server: RunningApp, browser: Browser) -> None:
    # The visitor's chat goes to a random writer of «Служба заботы о клиентах»: watch both.
    watchers = [_staff(browser, app_server.url, email) for email in ("admin@demo.ru", "morozova@demo.ru")]
    for _context, page in watchers:
        # Permission is granted already (the init script), so the button says so.
        expect(page.get_by_role("button", name="Оповещения включены")).to_be_visible()
        page.get_by_role("button", name="Оповещения включены").click()
    page = watchers[0][1]
    new_before = int(page.get_by_test_id("tab-count-new").first.inner_text())

    client_context = browser.new_context()
    client = client_context.new_page()
    open_client_app(client, app_server.url, "Неавторизованный посетитель")
    stamp = str(int(time.time() * 1000))[-7:]
    send(client, f"Здравствуйте, вопрос {stamp}")
    expect(bubble(client, stamp)).to_be_visible()

    # Live, no reload: the row is first, yellow with «Метки», previews the message.
    for _context, staff in watchers:
        first = staff.locator(ROWS).first
        expect(first).to_contain_text(f"Здравствуйте, вопрос {stamp}")
        expect(first.locator(".rt-Badge")).to_have_text("1")
        expect(staff.get_by_test_id("tab-count-new").first).to_have_text(str(new_before + 1))
        expect(staff).to_have_title(f"({new_before + 1}) Чат — Поддержка")
    visitor = page.locator(ROWS).first.locator("td").nth(1).inner_text().splitlines()[0]
    assert visitor.startswith("Неавторизованный посетитель #")
    responsible = page.locator(ROWS).first.locator("td").nth(4).inner_text().strip()

    # P9: the responsible heard it; the other one, whose chat it is not, did not.
    for (_context, staff), name in zip(
        watchers, ("Смирнова Анна Сергеевна", "Морозова Татьяна Игоревна"), strict=True
    ):
        notes = staff.evaluate("window.__notes")
        if name == responsible:
            assert any(stamp in (n["body"] or "") for n in notes), notes
        else:
            assert not any(stamp in (n["body"] or "") for n in notes), notes

    # The search finds the visitor as the list names them; the whole row opens the card.
    page.get_by_placeholder("Поиск по номеру чата и ФИО клиента").fill(visitor)
    expect(page.locator(ROWS)).to_have_count(1)
    page.locator(ROWS).first.locator("td").nth(2).click()
    page.wait_for_url(re.compile(r"/support/chats/\d+"))
    expect(bubble(page, stamp)).to_be_visible()
    client_context.close()
    for context, _page in watchers:
        context.close()


def test_skeleton_rows_then_cards_on_a_phone(app_server: RunningApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    login(page, app_server.url, "manager@demo.ru")
    page.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    expect(page.locator(ROWS).first).to_be_visible()
    expect(page.get_by_text("Чатов не найдено")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()
