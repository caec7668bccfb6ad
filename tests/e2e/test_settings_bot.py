"""Tab «Чат-бот» of «Поддержка» → «Настройки» (S5–S11), in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import BotSettings, Topic, TopicRule, TopicRuleProject
from tests.e2e.conftest import RunningApp, login

pytestmark = pytest.mark.e2e

NORTH, RIVER = "ЖК «Северный парк»", "ЖК «Речной квартал»"  # projects of chat_crm/demo.py
SALES_STAFF = [
    "Васильев Игорь Петрович",
    "Кузнецов Дмитрий Олегович",
    # not «Лебедева Наталья Юрьевна»: an «Оператор» may not write to clients, so is never assigned
    "Соколова Мария Викторовна",
]


@pytest.fixture
def demo_bot_settings_restored(app_server: RunningApp) -> Iterator[Session]:
    """The app is shared by every e2e file: put the demo's tab «Чат-бот» back whatever this test did."""
    engine = create_engine(app_server.env["DATABASE_URL"])
    with Session(engine) as session:
        saved = session.exec(select(BotSettings)).one().model_dump()
        kept_rules = set(session.exec(select(TopicRule.id)).all())
    try:
        with Session(engine) as session:
            yield session
    finally:
        with Session(engine) as session:
            new_rules = [i for i in session.exec(select(TopicRule.id)).all() if i not in kept_rules]
            if new_rules:
                session.execute(
                    sa.delete(TopicRuleProject).where(col(TopicRuleProject.rule_id).in_(new_rules))
                )
                session.execute(sa.delete(TopicRule).where(col(TopicRule.id).in_(new_rules)))
            row = session.exec(select(BotSettings)).one()
            for name, value in saved.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()
        engine.dispose()


def _open_bot_tab(browser: Browser, base_url: str) -> Page:
    page = browser.new_context().new_page()
    login(page, base_url, "admin@demo.ru")
    page.wait_for_url("**/support/chats")
    page.goto(f"{base_url}/support/settings")
    page.get_by_role("tab", name="Чат-бот").click()
    expect(page.get_by_role("switch", name="Чат-бот")).to_be_visible()
    return page


def _topic_row(page: Page, label: str) -> Locator:
    return page.get_by_test_id("topic-row").filter(has_text=label)


def _rule(dialog: Locator, n: int) -> Locator:
    return dialog.get_by_role("group", name=f"Правило {n}", exact=True)


@pytest.mark.feature("S5", "S8", "S9", "S11")
def test_the_bot_is_not_switched_on_unconfigured_and_a_long_text_is_refused_beside_its_field(
    app_server: RunningApp, browser: Browser, demo_bot_settings_restored: Session
) -> None:
    db = demo_bot_settings_restored
    assert db.exec(select(TopicRule)).first() is None, "the demo is meant to start with no topic rules"
    page = _open_bot_tab(browser, app_server.url)
    for topic in ("Сделка", "Бронирование", "Приемка", "Ипотека"):
        expect(_topic_row(page, topic)).to_contain_text("Не настроено")
    expect(page.get_by_label("Приветственный текст", exact=True)).to_have_value(
        "Здравствуйте! Я помогу быстро связаться с нужным специалистом."
    )
    expect(page.get_by_label("Повторный запуск")).to_have_value("1")
    # Russian plural forms (P3): «1 день», not «1 дней».
    expect(page.get_by_label("Единица времени").locator("option:checked")).to_have_text("день")

    # S8: on, with no topic configured, is refused beside the switch.
    page.get_by_role("switch", name="Чат-бот").click()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_have_text("Настройте хотя бы одну тему, чтобы включить чат-бота")
    expect(page.get_by_role("switch", name="Чат-бот")).to_be_checked()

    # S11: no maxLength in the form; the server refuses 256 characters beside the field, keeping them.
    page.get_by_role("switch", name="Чат-бот").click()
    greeting = page.get_by_label("Приветственный текст", exact=True)
    too_long = "Здравствуйте! " + "а" * 242
    assert len(too_long) == 256
    greeting.fill(too_long)
    expect(page.get_by_test_id("greeting_text-counter")).to_have_text("256/255")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_have_text("Не больше 255 символов (сейчас 256)")
    expect(page.get_by_role("alert")).to_have_attribute("id", "greeting_text-error")
    expect(greeting).to_have_value(too_long)
    db.expire_all()
    assert not db.exec(select(BotSettings)).one().greeting_text.endswith("а")
    page.context.close()


@pytest.mark.feature("S6", "S8", "S10")
def test_the_rule_editor_refuses_a_project_twice_keeps_the_rows_and_saves_once_fixed(
    app_server: RunningApp, browser: Browser, demo_bot_settings_restored: Session
) -> None:
    db = demo_bot_settings_restored
    page = _open_bot_tab(browser, app_server.url)
    page.get_by_role("button", name="Изменить правила: Ипотека").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Ипотека")).to_be_visible()

    first = _rule(dialog, 1)
    first.get_by_role("checkbox", name=NORTH).click()
    first.get_by_label("Подразделение").select_option(label="Отдел продаж")
    employee = first.get_by_label("Сотрудник")
    # S6: only the department's employees, after «random».
    expect(employee.locator("option")).to_have_text(
        ["Не выбран — случайный сотрудник подразделения", *SALES_STAFF]
    )
    employee.select_option(label="Соколова Мария Викторовна")

    dialog.get_by_role("button", name="Добавить правило").click()
    second = _rule(dialog, 2)
    second.get_by_role("checkbox", name=RIVER).click()
    second.get_by_role("checkbox", name=NORTH).click()
    second.get_by_label("Подразделение").select_option(label="Служба заботы о клиентах")
    dialog.get_by_role("button", name="Сохранить").click()

    # Refused beside rule 2; the modal stays with every row as typed.
    expect(second.get_by_role("alert")).to_have_text(
        "Проект ЖК «Северный парк» уже есть в другом правиле этой темы"
    )
    expect(first.get_by_role("alert")).to_have_count(0)
    expect(first.get_by_role("checkbox", name=NORTH)).to_be_checked()
    expect(employee.locator("option:checked")).to_have_text("Соколова Мария Викторовна")
    expect(second.get_by_role("checkbox", name=RIVER)).to_be_checked()
    expect(second.get_by_label("Подразделение").locator("option:checked")).to_have_text(
        "Служба заботы о клиентах"
    )
    assert db.exec(select(TopicRule)).first() is None  # nothing written on error

    second.get_by_role("checkbox", name=NORTH).click()
    dialog.get_by_role("button", name="Сохранить").click()
    expect(dialog).to_have_count(0)
    expect(_topic_row(page, "Ипотека")).to_contain_text("2 правила")
    expect(_topic_row(page, "Сделка")).to_contain_text("Не настроено")

    # Reopened, the editor shows what was stored; «Отмена» writes nothing.
    page.get_by_role("button", name="Изменить правила: Ипотека").click()
    expect(_rule(dialog, 1).get_by_label("Сотрудник").locator("option:checked")).to_have_text(
        "Соколова Мария Викторовна"
    )
    expect(_rule(dialog, 2).get_by_role("checkbox", name=NORTH)).not_to_be_checked()
    _rule(dialog, 2).get_by_role("button", name="Удалить правило").click()
    dialog.get_by_role("button", name="Отмена").click()
    expect(dialog).to_have_count(0)
    expect(_topic_row(page, "Ипотека")).to_contain_text("2 правила")

    # S8 is answered: with a configured topic the bot goes on; S10 in hours.
    page.get_by_role("switch", name="Чат-бот").click()
    page.get_by_label("Повторный запуск").fill("36")
    page.get_by_label("Единица времени").select_option(label="часов")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Настройки сохранены")
    db.expire_all()
    row = db.exec(select(BotSettings)).one()
    assert (row.enabled, row.restart_after_minutes) == (True, 36 * 60)
    rules = db.exec(select(TopicRule).where(TopicRule.topic == Topic.mortgage)).all()
    assert len(rules) == 2
    page.context.close()
