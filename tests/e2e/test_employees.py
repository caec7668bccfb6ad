"""«Настройки» → «Сотрудники» in Chromium (P17): add, edit, deactivate (the tab goes to login)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import RunningApp, login

pytestmark = pytest.mark.e2e


@pytest.mark.feature("P17")
def test_an_added_employee_works_until_deactivated(app_server: RunningApp, browser: Browser) -> None:
    admin = browser.new_context().new_page()
    login(admin, app_server.url, "admin@demo.ru")
    admin.goto(f"{app_server.url}/support/chats")
    admin.get_by_role("link", name="Сотрудники", exact=True).click()
    admin.wait_for_url("**/settings/employees")
    tag = uuid.uuid4().hex[:8]
    name, email = f"Орлова Вера {tag}", f"orlova-{tag}@demo.ru"

    admin.get_by_label("ФИО", exact=True).fill(name)
    admin.get_by_label("E-mail", exact=True).fill(email)
    admin.get_by_label("Начальный пароль", exact=True).fill("short")
    admin.get_by_label("Роль", exact=True).select_option(label="Менеджер")
    admin.get_by_role("button", name="Добавить сотрудника").click()
    expect(admin.get_by_text("Пароль должен быть не короче 8 символов")).to_be_visible()
    admin.get_by_label("Начальный пароль", exact=True).fill("надежный-пароль")
    admin.get_by_role("button", name="Добавить сотрудника").click()
    expect(admin.get_by_test_id("notice")).to_have_text("Сотрудник добавлен")
    row = admin.get_by_test_id("employee-row").filter(has_text=email)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Менеджер")
    expect(row).to_contain_text("Активен")

    # The same e-mail twice is refused beside its field.
    admin.get_by_label("E-mail", exact=True).fill(email.upper())
    admin.get_by_role("button", name="Добавить сотрудника").click()
    expect(admin.get_by_text("Сотрудник с таким e-mail уже есть")).to_be_visible()

    # A department of its own, then «Изменить»: department and name.
    department = f"Отдел {tag}"
    admin.get_by_label("Название отдела").last.fill(department)
    admin.get_by_role("button", name="Добавить отдел").click()
    expect(admin.get_by_test_id("notice")).to_have_text("Отдел добавлен")
    row.get_by_role("button", name="Изменить").click()
    dialog = admin.get_by_role("dialog")
    dialog.get_by_label("ФИО", exact=True).fill(f"{name} Ивановна")
    dialog.get_by_label("Отдел", exact=True).select_option(label=department)
    dialog.get_by_role("button", name="Сохранить").click()
    expect(admin.get_by_test_id("notice")).to_have_text("Сотрудник сохранен")
    row = admin.get_by_test_id("employee-row").filter(has_text=email)
    expect(row).to_contain_text(f"{name} Ивановна")
    expect(row).to_contain_text(department)

    staff = browser.new_context().new_page()
    login(staff, app_server.url, email, "надежный-пароль")
    staff.wait_for_url("**/support/chats")
    expect(staff.get_by_text(f"{name} Ивановна")).to_be_visible()

    row.get_by_role("button", name="Деактивировать").click()
    expect(admin.get_by_test_id("notice")).to_have_text("Сотрудник деактивирован: его сессии завершены")
    expect(row).to_contain_text("Деактивирован")

    # The open tab's next event is refused and sends it to the login page.
    staff.get_by_role("button", name="Номер").click()
    staff.wait_for_url("**/login")
    login(staff, app_server.url, email, "надежный-пароль", refused=True)
    expect(staff.get_by_text("Учётная запись отключена")).to_be_visible()

    row.get_by_role("button", name="Активировать").click()
    expect(row).to_contain_text("Активен")
    login(staff, app_server.url, email, "надежный-пароль")
    staff.context.close()
    admin.context.close()


@pytest.mark.feature("P17")
def test_without_the_right_the_page_refuses(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "manager@demo.ru")
    expect(page.get_by_role("link", name="Сотрудники", exact=True)).to_have_count(0)
    page.goto(f"{app_server.url}/settings/employees")
    expect(page.get_by_text("Недостаточно прав")).to_be_visible()
    expect(page.get_by_test_id("employee-row")).to_have_count(0)
    page.context.close()
