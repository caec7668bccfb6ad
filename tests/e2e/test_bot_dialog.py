"""The chat-bot in the client app, in Chromium (B1–B10, C1).

The module switches the demo's bot on with a rule for every topic, and puts the
demo back afterwards: the app is shared with the other browser tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import (
    Acceptance,
    BotSettings,
    Chat,
    Client,
    ClientUnit,
    Department,
    Employee,
    Topic,
    UnitStatus,
    utcnow,
)
from tests.bot_rules import bot_rules_on
from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, start_client_app

pytestmark = pytest.mark.e2e

GREETING = "Здравствуйте! Я помогу быстро связаться с нужным специалистом."
BEFORE_TRANSFER = "Передаю ваш вопрос ответственному сотруднику, он скоро ответит."
# Clients the other browser tests leave alone: picker ids above 10.
FIRST_FREE_CLIENT = 11


@pytest.fixture(scope="module")
def app_db(app_server: RunningApp) -> Iterator[sa.Engine]:
    engine = create_engine(app_server.env["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def bot_on(app_db: sa.Engine) -> Iterator[sa.Engine]:
    """Bot on, one rule per topic over every project, to «Отдел сопровождения сделок»."""
    with bot_rules_on(app_db):
        yield app_db


_taken: set[int] = set()


def _client_with(engine: sa.Engine, *, statuses: set[UnitStatus] | None, acceptance: bool = False) -> int:
    """A picker client nobody else uses, owning units in exactly ``statuses`` (None: any)."""
    with Session(engine) as session:
        for client_id in session.exec(
            select(Client.id)
            .where(col(Client.id) >= FIRST_FREE_CLIENT, col(Client.id) <= 35)
            .order_by(Client.id)
        ).all():
            owned = set(
                session.exec(select(ClientUnit.status).where(ClientUnit.client_id == client_id)).all()
            )
            if client_id in _taken or (statuses is not None and owned != statuses):
                continue
            if (
                acceptance
                and session.exec(select(Acceptance.id).where(Acceptance.client_id == client_id)).first()
                is None
            ):
                continue
            _taken.add(client_id or 0)
            # The demo left this client's last dialog open or closed at random: start afresh.
            session.exec(  # type: ignore[call-overload]
                sa.update(Chat)
                .where(col(Chat.client_id) == client_id)
                .values(dialog_state="closed", bot_step="none")
            )
            session.commit()
            return client_id or 0
    raise LookupError(f"no demo client with {statuses}")


def _topics(page: Page) -> list[str]:
    panel = page.get_by_test_id("bot-panel")
    return [b.strip() for b in panel.get_by_role("button").all_inner_texts() if "Назад" not in b]


@pytest.mark.feature("B1", "B2", "B4", "B5", "B6", "C1", "C4")
def test_a_unit_in_each_status_offers_exactly_its_topics_and_back_returns(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses=set(UnitStatus))
    page = browser.new_context().new_page()
    name = open_client_app(page, app_server.url, str(client_id))
    greeting = bubble(page, GREETING)
    expect(greeting.last).to_contain_text("Смирнова Анна Сергеевна")  # the S9 employee (B1)
    expect(greeting.last.locator("img")).to_have_attribute("src", "/avatars/admin.svg")
    slides = page.get_by_test_id("unit-choice")
    expect(slides).to_have_count(3)
    expect(page.get_by_role("button", name="Нет нужного варианта")).to_be_visible()

    expected = {
        "Бронирование": ["Бронирование", "Ипотека"],
        "Сделка": ["Бронирование", "Сделка", "Ипотека"],
        "Приемка": ["Бронирование", "Сделка", "Приемка", "Ипотека"],
    }
    for status, topics in expected.items():
        slides.filter(has_text=status).click()
        expect(slides).to_have_count(0)
        expect(page.get_by_test_id("bot-panel").get_by_role("button")).to_have_count(len(topics) + 1)
        assert _topics(page) == topics
        page.get_by_test_id("bot-panel").get_by_role("button", name="← Назад").click()  # B5
        expect(slides).to_have_count(3)

    slides.filter(has_text="Сделка").click()
    expect(slides).to_have_count(0)  # the topics replaced the units: «Сделка» is now the topic
    page.get_by_test_id("bot-panel").get_by_role("button", name="Сделка").click()
    expect(bubble(page, BEFORE_TRANSFER)).to_be_visible()
    expect(page.get_by_test_id("bot-panel")).to_have_count(0)

    staff = browser.new_context().new_page()
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    with Session(bot_on) as session:
        chat_id = session.exec(select(Chat.id).where(Chat.client_id == client_id)).one()
    staff.goto(f"{app_server.url}/support/chats/{chat_id}")
    expect(staff.get_by_role("heading", name="Чат №")).to_be_visible()
    expect(staff.get_by_text(name).first).to_be_visible()
    expect(staff.get_by_text("Сделка", exact=True).first).to_be_visible()
    department = staff.get_by_label("Подразделение", exact=True)  # «Управление» shows the rule's one
    expect(department.locator("option:checked")).to_have_text("Отдел сопровождения сделок")
    history = staff.get_by_test_id("history-entry")
    expect(history.filter(has_text="Тема: — → Сделка").last).to_contain_text("Чат-бот")
    expect(history.filter(has_text="По правилу темы «Сделка»").last).to_contain_text("Чат-бот")
    page.context.close()
    staff.context.close()


@pytest.mark.feature("B3", "B7")
def test_a_client_without_units_chooses_purchase_or_other(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{app_server.url}/app")
    options = page.get_by_label("Кто открывает приложение").locator("option")
    expect(options).to_have_count(66)  # anonymous, 35 first clients, 10 who own nothing, 20 more owners
    picker_last = 45
    open_client_app(page, app_server.url, picker_last)
    expect(page.get_by_test_id("unit-choice")).to_have_count(0)
    page.get_by_role("button", name="Покупка недвижимости").click()
    expect(bubble(page, "Покупка недвижимости")).to_be_visible()
    expect(bubble(page, BEFORE_TRANSFER)).to_be_visible()
    page.context.close()


@pytest.mark.feature("B7")
def test_free_text_during_the_bot_goes_to_other_question(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses={UnitStatus.deal})
    page = browser.new_context().new_page()
    open_client_app(page, app_server.url, str(client_id))
    expect(page.get_by_test_id("unit-choice")).to_have_count(1)
    page.get_by_placeholder("Сообщение").fill("Где получить справку?")
    page.get_by_role("button", name="Отправить").click()
    expect(bubble(page, BEFORE_TRANSFER)).to_be_visible()
    expect(page.get_by_test_id("bot-panel")).to_have_count(0)
    with Session(bot_on) as session:
        chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
        assert chat.topic == Topic.other
    page.context.close()


@pytest.mark.feature("B8", "S3")
def test_an_anonymous_visitor_gets_the_welcome_stub_not_the_bot(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    page = browser.new_context().new_page()
    open_client_app(page, app_server.url, "Неавторизованный посетитель")
    expect(page.get_by_test_id("welcome-stub")).to_contain_text("Мы на связи")
    expect(page.get_by_test_id("bot-panel")).to_have_count(0)
    page.context.close()


@pytest.mark.feature("B8")
def test_with_the_bot_off_an_authorized_client_gets_the_basic_scenario(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses={UnitStatus.booking})
    with Session(bot_on) as session:
        settings = session.exec(select(BotSettings)).one()
        settings.enabled = False
        session.add(settings)
        session.commit()
    try:
        page = browser.new_context().new_page()
        open_client_app(page, app_server.url, str(client_id))
        expect(page.get_by_placeholder("Сообщение")).to_be_visible()
        expect(page.get_by_test_id("bot-panel")).to_have_count(0)
        expect(bubble(page, GREETING)).to_have_count(0)
        page.get_by_placeholder("Сообщение").fill("Без бота")
        page.get_by_role("button", name="Отправить").click()
        expect(bubble(page, "Без бота")).to_be_visible()
        page.context.close()
        with Session(bot_on) as session:  # the first message opened a dialog with the S4 responsible
            chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
            department = session.get(Department, chat.department_id)
            assert (chat.dialog_state, department.name) == ("open", "Служба заботы о клиентах")
    finally:
        with Session(bot_on) as session:
            settings = session.exec(select(BotSettings)).one()
            settings.enabled = True
            session.add(settings)
            session.commit()


@pytest.mark.feature("S7", "B6", "B10")
def test_from_an_acceptance_card_the_unit_is_chosen_and_its_responsible_assigned(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses={UnitStatus.acceptance}, acceptance=True)
    with Session(bot_on) as session:
        settings = session.exec(select(BotSettings)).one()
        settings.acceptance_uses_unit_responsible = True
        session.add(settings)
        acceptance = session.exec(select(Acceptance).where(Acceptance.client_id == client_id)).first()
        responsible_id = session.get(Employee, acceptance.responsible_id).id
        session.commit()
    page = browser.new_context().new_page()
    start_client_app(page, app_server.url, str(client_id))
    page.get_by_role("button", name="Приемка:").click()  # «Мои помещения» → the acceptance card
    card = page.get_by_test_id("unit-card")
    card.get_by_role("button", name="Связаться с нами").click()
    page.get_by_role("button", name="Написать в чат").click()
    # The unit is already chosen: the bot asks for the topic straight away (B10).
    panel = page.get_by_test_id("bot-panel")
    panel.get_by_role("button", name="Приемка").click()
    expect(bubble(page, BEFORE_TRANSFER)).to_be_visible()
    with Session(bot_on) as session:
        chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
        assert (chat.topic, chat.responsible_id) == (Topic.acceptance, responsible_id)
        email, number = session.get(Employee, responsible_id).email, chat.number
    page.context.close()

    # The assignee finds it in «Уведомления».
    staff = browser.new_context().new_page()
    login(staff, app_server.url, email)
    staff.wait_for_url("**/support/chats")
    staff.get_by_role("button", name=re.compile(r"^Уведомления")).click()  # not «Включить push-…»
    notice = staff.get_by_test_id("notification").filter(has_text=f"в чате витрины №{number}").first
    expect(notice).to_contain_text("Вас назначили ответственным")
    notice.click()
    staff.wait_for_url(f"**/support/chats/{chat.id}")
    staff.context.close()


@pytest.mark.feature("B9")
def test_silence_closes_the_dialog_live_and_the_next_entry_greets_again(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses={UnitStatus.deal})
    page = browser.new_context().new_page()
    open_client_app(page, app_server.url, str(client_id))
    expect(page.get_by_test_id("unit-choice")).to_have_count(1)
    # The clock is the one fake: move this dialog's deadline into the past.
    with Session(bot_on) as session:
        chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
        chat.inactivity_due_at = utcnow() - timedelta(seconds=1)
        session.add(chat)
        session.commit()
    expect(bubble(page, "Мы не получили ответа и закрываем диалог.")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("bot-panel")).to_have_count(0)
    page.get_by_role("button", name="← Назад").click()
    page.get_by_role("button", name="Связаться с нами").click()
    page.get_by_role("button", name="Написать в чат").click()
    expect(bubble(page, GREETING)).to_have_count(2)
    expect(page.get_by_test_id("unit-choice")).to_have_count(1)
    page.context.close()


@pytest.mark.feature("B9")
def test_a_deadline_that_passed_while_the_app_was_down_fires_on_start(
    bot_on: sa.Engine, app_server: RunningApp, browser: Browser
) -> None:
    client_id = _client_with(bot_on, statuses={UnitStatus.booking})
    page = browser.new_context().new_page()
    open_client_app(page, app_server.url, str(client_id))
    expect(page.get_by_test_id("unit-choice")).to_have_count(1)
    page.context.close()
    app_server.stop()
    with Session(bot_on) as session:
        chat = session.exec(select(Chat).where(Chat.client_id == client_id)).one()
        chat.inactivity_due_at = utcnow() - timedelta(minutes=5)
        session.add(chat)
        session.commit()
        chat_id = chat.id
    app_server.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Session(bot_on) as session:
            if session.get(Chat, chat_id).dialog_state == "closed":
                break
        time.sleep(0.5)
    with Session(bot_on) as session:
        assert session.get(Chat, chat_id).dialog_state == "closed"
