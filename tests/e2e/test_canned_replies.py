"""«Шаблоны ответов» (P13) in Chromium: managed under «Поддержка» → «Настройки», picked with «/»
in the CRM composer, placeholders filled for the chat, Enter inserts and never sends.

Writes only into the chats of picker entries 61–63 (this file's), and removes its templates
afterwards: the app is shared by every e2e file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import Building, CannedReply, Chat, Client, Project, Unit
from tests.e2e.conftest import RunningApp, bubble, login, open_chat_of, open_client_app, send

pytestmark = [pytest.mark.e2e, pytest.mark.feature("P13")]


@pytest.fixture
def app_db(app_server: RunningApp) -> Iterator[sa.Engine]:
    """The app's database; every template made by the test is deleted afterwards."""
    engine = create_engine(app_server.env["DATABASE_URL"])
    with Session(engine) as session:
        kept = set(session.exec(select(CannedReply.id)).all())
    yield engine
    with Session(engine) as session:
        session.execute(sa.delete(CannedReply).where(col(CannedReply.id).not_in(kept or {0})))
        session.commit()
    engine.dispose()


def _staff(browser: Browser, base_url: str, email: str = "manager@demo.ru") -> Page:
    page = browser.new_context().new_page()
    login(page, base_url, email)
    page.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    return page


def _open_tab(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/support/settings")
    page.get_by_role("tab", name="Шаблоны ответов").click()
    expect(page.get_by_role("button", name="Добавить шаблон")).to_be_visible()


def _add(page: Page, title: str, text: str, scope: str = "Личный") -> None:
    page.get_by_role("button", name="Добавить шаблон").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Название").fill(title)
    dialog.get_by_label("Текст").fill(text)
    dialog.get_by_label("Доступен").select_option(label=scope)
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("canned-row").filter(has_text=title)).to_be_visible()


def _chat_number(engine: sa.Engine, client_name: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(Chat.number)
            .join(Client, col(Client.id) == Chat.client_id)
            .where(Client.full_name == client_name)
        ).one()


def _outbox_drafts(page: Page) -> list[str]:
    """The drafts chat.js keeps in localStorage (P18): what survives a crash of the tab."""
    raw = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('chat_crm_outbox:'))"
        ".map(k => localStorage.getItem(k))"
    )
    return [json.loads(box)["draft"]["text"] for box in raw]


def test_a_template_is_added_picked_with_slash_filled_for_the_chat_and_sent_with_a_second_enter(
    app_server: RunningApp, browser: Browser, pair, app_db
) -> None:
    staff, client = pair
    login(staff, app_server.url, "manager@demo.ru")
    _open_tab(staff, app_server.url)
    # The hint lists the placeholders beside the list.
    expect(staff.get_by_text("Подстановки: {имя_клиента}, {номер_чата}").first).to_be_visible()
    _add(staff, "Приветствие", "Здравствуйте, {имя_клиента}! Ваш чат №{номер_чата}. {непонятно}")
    _add(staff, "Ипотека", "Ипотеку выдают Сбербанк и ВТБ.", scope="Отдел: Отдел продаж")
    expect(staff.get_by_test_id("canned-row").filter(has_text="Ипотека")).to_contain_text(
        "Отдел: Отдел продаж"
    )

    name = open_client_app(client, app_server.url, 61)
    send(client, "Подскажите, пожалуйста, по ипотеке")
    open_chat_of(staff, app_server.url, name)
    expect(bubble(staff, "Подскажите, пожалуйста, по ипотеке")).to_be_visible()
    number = _chat_number(app_db, name)

    field = staff.get_by_placeholder("Сообщение")
    field.click()
    field.press_sequentially("/")
    listbox = staff.get_by_role("listbox", name="Шаблоны ответов")
    expect(listbox.get_by_role("option")).to_have_count(2)
    field.press_sequentially("прив")  # filters by title
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_contain_text("Приветствие")
    field.press("Enter")

    filled = f"Здравствуйте, {name}! Ваш чат №{number}. {{непонятно}}"
    expect(listbox).to_be_hidden()
    expect(field).to_have_value(filled)
    # Inserted like typed text: the crash-safe draft holds it too.
    staff.wait_for_function(
        "t => Object.keys(localStorage).some(k => k.startsWith('chat_crm_outbox:') && "
        "JSON.parse(localStorage.getItem(k)).draft.text === t)",
        arg=filled,
    )
    assert filled in _outbox_drafts(staff)
    expect(bubble(staff, filled)).to_have_count(0)  # the Enter that picked sent nothing

    field.press("Enter")
    expect(bubble(staff, filled)).to_be_visible()
    expect(field).to_have_value("")
    expect(bubble(client, filled)).to_be_visible()


def test_arrows_choose_a_click_inserts_after_a_space_and_escape_closes(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    staff = _staff(browser, app_server.url)
    _open_tab(staff, app_server.url)
    _add(staff, "Документы", "Список документов отправили на почту, {имя_сотрудника}.")
    _add(staff, "Ключи", "Выдача ключей в чате №{номер_чата}.")

    client = browser.new_context().new_page()
    name = open_client_app(client, app_server.url, 62)
    send(client, "Когда выдача ключей?")
    open_chat_of(staff, app_server.url, name)
    number = _chat_number(app_db, name)
    field = staff.get_by_placeholder("Сообщение")
    listbox = staff.get_by_role("listbox", name="Шаблоны ответов")

    # Searching matches the text as well as the title; ↓ and ↑ move the choice.
    field.press_sequentially("Добрый день /почт")
    expect(listbox.get_by_role("option")).to_have_count(1)
    field.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("Добрый день /почт")  # Esc only closes the list

    field.fill("")
    field.press_sequentially("Итак: /")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    field.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    field.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    options.filter(has_text="Ключи").click()
    expect(field).to_have_value(f"Итак: Выдача ключей в чате №{number}.")
    expect(listbox).to_be_hidden()

    # A «/» inside a word is just a character: no list.
    field.fill("")
    field.press_sequentially("и/или")
    expect(listbox).to_be_hidden()
    staff.context.close()
    client.context.close()


def _unit_of_chat(engine: sa.Engine, client_name: str) -> str:
    """«{проект}: {объект}» of the client's chat as the database holds it."""
    with Session(engine) as session:
        project, building, number = session.exec(
            select(Project.name, Building.name, Unit.number)
            .join(Building, col(Building.project_id) == Project.id)
            .join(Unit, col(Unit.building_id) == Building.id)
            .join(Chat, col(Chat.unit_id) == Unit.id)
            .join(Client, col(Client.id) == Chat.client_id)
            .where(Client.full_name == client_name)
        ).one()
    return f"{project}: {building}, №{number}"


def test_a_unit_chosen_on_the_card_is_what_the_unit_placeholders_insert(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    staff = _staff(browser, app_server.url)
    _open_tab(staff, app_server.url)
    _add(staff, "Объект", "{проект}: {объект}")
    client = browser.new_context().new_page()
    name = open_client_app(client, app_server.url, 63)
    send(client, "Вопрос по моей квартире")
    open_chat_of(staff, app_server.url, name)

    unit = staff.get_by_label("Помещение", exact=True)
    # Another of the client's units than the one the chat has now, so there is a change to save.
    current = unit.input_value()
    values = [o.get_attribute("value") for o in unit.locator("option").all()[1:]]
    unit.select_option(value=next(v for v in values if v and v != current))
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.get_by_role("status").filter(has_text="Изменения сохранены")).to_be_visible()

    field = staff.get_by_placeholder("Сообщение")
    field.press_sequentially("/объект")
    field.press("Enter")
    expect(field).to_have_value(_unit_of_chat(app_db, name))
    client.context.close()
    staff.context.close()


def test_a_template_is_edited_and_deleted_in_the_settings_tab(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    staff = _staff(browser, app_server.url)
    _open_tab(staff, app_server.url)
    _add(staff, "Перенос", "Перенос возможен.")
    row = staff.get_by_test_id("canned-row").filter(has_text="Перенос")
    row.get_by_role("button", name="Редактировать «Перенос»").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_label("Текст").fill("")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog.get_by_text("Введите текст шаблона")).to_be_visible()  # refused beside the field
    expect(dialog.get_by_label("Название")).to_have_value("Перенос")  # nothing typed is lost
    dialog.get_by_label("Текст").fill("Перенос возможен на четверг.")
    dialog.get_by_role("button", name="Сохранить").click()
    expect(row).to_contain_text("Перенос возможен на четверг.")

    staff.get_by_placeholder("Поиск по названию и тексту").fill("четверг")
    expect(staff.get_by_test_id("canned-row")).to_have_count(1)

    row.get_by_role("button", name="Удалить «Перенос»").click()
    staff.get_by_role("alertdialog").get_by_role("button", name="Удалить").click()
    expect(staff.get_by_text("Шаблон удален")).to_be_visible()
    expect(staff.get_by_text("Шаблонов не найдено")).to_be_visible()
    staff.context.close()
