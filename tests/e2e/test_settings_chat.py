"""Tab «Чат» of «Поддержка» → «Настройки» (S1–S4), in Chromium, and its effect in the client app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, create_engine, select

from chat_crm.models import ChatSettings
from tests.e2e.conftest import RunningApp, login, open_client_app

pytestmark = pytest.mark.e2e

SALES_STAFF = [  # «Отдел продаж» in chat_crm/demo.py, sorted by name as the select shows them
    "Васильев Игорь Петрович",
    "Кузнецов Дмитрий Олегович",
    # not «Лебедева Наталья Юрьевна»: an «Оператор» may not write to clients, so is never assigned
    "Соколова Мария Викторовна",
]
ANONYMOUS = "Неавторизованный посетитель"  # a fresh visitor has no chat yet: stub and notice show


@pytest.fixture
def demo_chat_settings_restored(app_server: RunningApp) -> Iterator[None]:
    """The app is shared by every e2e file: put the demo's tab «Чат» back whatever this test did."""
    engine = create_engine(app_server.env["DATABASE_URL"])
    with Session(engine) as session:
        saved = session.exec(select(ChatSettings)).one().model_dump()
    try:
        yield
    finally:
        with Session(engine) as session:
            row = session.exec(select(ChatSettings)).one()
            for name, value in saved.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()
        engine.dispose()


def _save(page: Page) -> None:
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Настройки сохранены")


def _open_storefront(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/app")
    page.get_by_label("Кто открывает приложение").select_option(label=ANONYMOUS)
    page.get_by_role("button", name="Открыть приложение").click()
    expect(page.get_by_role("heading", name="Витрина")).to_be_visible()


@pytest.mark.feature("S1", "S2", "S3", "S4", "S11", "B8")
def test_an_admin_sets_up_tab_chat_and_the_client_app_follows(
    app_server: RunningApp, browser: Browser, demo_chat_settings_restored: None
) -> None:
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    login(staff, app_server.url, "admin@demo.ru")
    staff.wait_for_url("**/support/chats")
    staff.goto(f"{app_server.url}/support/settings")

    title = staff.get_by_label("Заголовок", exact=True)
    expect(title).to_have_value("Мы на связи")
    expect(staff.get_by_label("Текст", exact=True)).to_have_value(
        "Задайте вопрос — ответим в течение рабочего дня."
    )

    # S3/S11: the form does not cut the text; the server refuses it, beside the field, keeping it.
    too_long = "Мы всегда на связи с вами, друзья"[:31]
    assert len(too_long) == 31
    title.fill(too_long)
    expect(staff.get_by_test_id("welcome_title-counter")).to_have_text("31/30")
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.get_by_role("alert")).to_have_text("Заголовок: не больше 30 символов (сейчас 31)")
    expect(title).to_have_value(too_long)

    title.fill("Мы на связи каждый день")
    _save(staff)
    expect(staff.get_by_role("alert")).to_have_count(0)

    # S4: a department brings only its own employees.
    department = staff.get_by_label("Подразделение", exact=True)
    employee = staff.get_by_label("Сотрудник", exact=True)
    department.select_option(label="Отдел продаж")
    expect(employee.locator("option")).to_have_text(
        ["Не выбран — случайный сотрудник подразделения", *SALES_STAFF]
    )
    employee.select_option(label="Соколова Мария Викторовна")
    _save(staff)
    staff.reload()
    expect(employee.locator("option:checked")).to_have_text("Соколова Мария Викторовна")
    expect(department.locator("option:checked")).to_have_text("Отдел продаж")

    # S3/S2 in the app: the new welcome title, and the consent notice while it is on.
    open_client_app(client, app_server.url, ANONYMOUS)
    expect(client.get_by_test_id("welcome-stub")).to_contain_text("Мы на связи каждый день")
    expect(client.get_by_test_id("consent")).to_be_visible()

    staff.get_by_role("switch", name="Условия обработки персональных данных").click()
    _save(staff)
    open_client_app(client, app_server.url, ANONYMOUS)
    expect(client.get_by_test_id("welcome-stub")).to_be_visible()
    expect(client.get_by_test_id("consent")).to_have_count(0)

    # S1: «Отображать на витрине» off hides the way into the chat.
    _open_storefront(client, app_server.url)
    expect(client.get_by_role("button", name="Связаться с нами")).to_be_visible()
    staff.get_by_role("switch", name="Отображать на витрине").click()
    _save(staff)
    _open_storefront(client, app_server.url)
    expect(client.get_by_role("button", name="Связаться с нами")).to_have_count(0)

    staff.context.close()
    client.context.close()


@pytest.mark.feature("A2")
def test_an_operator_without_the_settings_right_sees_no_form(
    app_server: RunningApp, browser: Browser
) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "operator@demo.ru")
    page.wait_for_url("**/support/chats")
    page.goto(f"{app_server.url}/support/settings")
    expect(page.get_by_text("Недостаточно прав")).to_be_visible()
    expect(page.get_by_role("button", name="Сохранить")).to_have_count(0)
    page.context.close()
