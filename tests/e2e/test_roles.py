"""«Роли доступа» in Chromium (A1–A3, N1): create, tick, save, rename, delete; changes hold at once.

Each test makes its own roles and employees (unique names), so the demo roles other files rely on
stay as they are.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import RunningApp, login

pytestmark = pytest.mark.e2e


def open_roles(page: Page, base: str) -> None:
    page.goto(f"{base}/support/chats")
    page.get_by_role("link", name="Роли доступа").click()
    page.wait_for_url("**/settings/roles")


def create_role(page: Page, name: str) -> None:
    page.get_by_label("Название новой роли").fill(name)
    page.get_by_role("button", name="Создать роль").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Роль «{name}» создана")
    expect(page.get_by_test_id("role-title")).to_have_text(name)


def tick(page: Page, name: str, checked: bool = True) -> None:
    box = page.get_by_role("checkbox", name=name, exact=True)
    if box.is_checked() != checked:
        box.click()
    expect(box).to_be_checked(checked=checked)


def save(page: Page) -> None:
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_test_id("notice")).to_have_text("Роль сохранена")


def add_employee(
    page: Page, base: str, *, name: str, email: str, role: str, password: str = "пароль-123"
) -> None:
    page.goto(f"{base}/settings/employees")
    page.get_by_label("ФИО", exact=True).fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Начальный пароль", exact=True).fill(password)
    page.get_by_label("Роль", exact=True).select_option(label=role)
    page.get_by_label("Отдел", exact=True).select_option(label="Отдел продаж")
    page.get_by_role("button", name="Добавить сотрудника").click()
    expect(page.get_by_test_id("notice")).to_have_text("Сотрудник добавлен")
    expect(page.get_by_test_id("employee-row").filter(has_text=email)).to_contain_text(role)


@pytest.mark.feature("A1", "A2", "A3", "N1")
def test_a_role_is_created_ticked_saved_renamed_and_deleted(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "admin@demo.ru")
    open_roles(page, app_server.url)
    name = f"Дежурный {uuid.uuid4().hex[:6]}"
    create_role(page, name)
    tick(page, "Чат")
    tick(page, "Чат: Отправка сообщений")
    page.get_by_role("tab", name="Уведомления").click()
    tick(page, "Новое сообщение в чате витрины: Push")
    tick(page, "Новое сообщение в чате витрины: Email")
    tick(page, "Вас назначили ответственным в чате витрины: Email")
    save(page)

    page.reload()
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_test_id("role-title")).to_have_text(name)
    expect(page.get_by_role("checkbox", name="Чат", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Настройки", exact=True)).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Чат: Отправка сообщений", exact=True)).to_be_checked()
    row = page.get_by_role("row").filter(has=page.get_by_role("button", name=name, exact=True))
    expect(row).to_contain_text("Поддержка: Чат")
    page.get_by_role("tab", name="Уведомления").click()
    for label, checked in (
        ("Новое сообщение в чате витрины: Push", True),
        ("Новое сообщение в чате витрины: Email", True),
        ("Вас назначили ответственным в чате витрины: Push", False),
        ("Вас назначили ответственным в чате витрины: Email", True),
    ):
        expect(page.get_by_role("checkbox", name=label, exact=True)).to_be_checked(checked=checked)

    renamed = f"{name} (ночь)"
    page.get_by_label("Название роли").fill(renamed)
    page.get_by_role("button", name="Переименовать").click()
    expect(page.get_by_test_id("notice")).to_have_text("Роль переименована")
    expect(page.get_by_role("button", name=renamed, exact=True)).to_be_visible()
    page.get_by_role("button", name="Удалить роль").click()
    expect(page.get_by_test_id("notice")).to_have_text(f"Роль «{renamed}» удалена")
    expect(page.get_by_role("button", name=renamed, exact=True)).to_have_count(0)
    page.context.close()


@pytest.mark.feature("A1", "A2")
def test_a_held_role_is_not_deleted_and_a_removed_right_stops_an_open_tab(
    app_server: RunningApp, browser: Browser
) -> None:
    admin = browser.new_context().new_page()
    login(admin, app_server.url, "admin@demo.ru")
    open_roles(admin, app_server.url)
    role, tag = f"Стажер {uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:8]
    create_role(admin, role)
    tick(admin, "Чат")
    save(admin)
    email = f"intern-{tag}@demo.ru"
    add_employee(admin, app_server.url, name=f"Стажеров Стажер {tag}", email=email, role=role)

    intern = browser.new_context().new_page()
    login(intern, app_server.url, email, "пароль-123")
    intern.wait_for_url("**/support/chats")
    expect(intern.get_by_test_id("chat-row").first).to_be_visible()

    open_roles(admin, app_server.url)
    admin.get_by_role("button", name=role, exact=True).click()
    admin.get_by_role("button", name="Удалить роль").click()
    expect(admin.get_by_test_id("form-error")).to_have_text("Роль нельзя удалить: она назначена 1 сотруднику")
    tick(admin, "Чат", checked=False)
    save(admin)

    # The intern's tab is still open; its very next event is refused on the server.
    intern.get_by_role("button", name="Номер").click()
    expect(intern.get_by_text("Недостаточно прав").first).to_be_visible()
    intern.context.close()
    admin.context.close()
