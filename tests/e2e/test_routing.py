"""Routing in Chromium (P11, P12): tab «Распределение», the «Не в сети» switch, and a chat that
moves to a colleague after the responsible stayed silent, seen in «История изменений».

The module runs its own app: it changes the demo's routing and moves the clock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import Chat, Department, DepartmentRouting, Employee, RoutingPolicy
from tests.e2e.conftest import RunningApp, login, open_client_app, send

pytestmark = pytest.mark.e2e

CARE = "Служба заботы о клиентах"  # the demo's S4 department: Смирнова and Морозова may write
ADMIN = "Смирнова Анна Сергеевна"  # admin@demo.ru
MOROZOVA = "Морозова Татьяна Игоревна"
LOAD = 30_000  # ms for a page's first data: two cores shared by many test runs


@pytest.fixture(scope="module")
def own_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = RunningApp(
        tmp_path_factory.mktemp("routing"), {"SESSION_IDLE_MINUTES": "100000", "SESSION_MAX_DAYS": "60"}
    )
    app.load_demo()
    app.start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def engine(own_app: RunningApp) -> Iterator[sa.Engine]:
    engine = create_engine(own_app.env["DATABASE_URL"])
    yield engine
    engine.dispose()


def _admin(browser: Browser, url: str) -> Page:
    page = browser.new_context().new_page()
    login(page, url, "admin@demo.ru")
    page.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    return page


def _routing_tab(page: Page, url: str):  # type: ignore[no-untyped-def]
    page.goto(f"{url}/support/settings")
    page.get_by_role("tab", name="Распределение").click()
    return page.get_by_role("group", name=CARE)


def _newest_chat(engine: sa.Engine, after_id: int) -> Chat:
    """The chat a new visitor just opened (polled: the app writes it, the test only reads)."""
    for _ in range(100):
        with Session(engine) as session:
            chat = session.exec(select(Chat).where(Chat.id > after_id).order_by(col(Chat.id).desc())).first()
            if chat is not None and chat.responsible_id is not None:
                return chat
        time.sleep(0.2)
    raise AssertionError("no new chat was assigned")


def _last_chat_id(engine: sa.Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(sa.func.max(Chat.id))).one() or 0


def _name(engine: sa.Engine, employee_id: int | None) -> str:
    with Session(engine) as session:
        employee = session.get(Employee, employee_id)
        return employee.full_name if employee else ""


@pytest.mark.feature("P11")
def test_the_department_policy_is_checked_saved_and_shown_after_a_reload(
    own_app: RunningApp, browser: Browser
) -> None:
    page = _admin(browser, own_app.url)
    care = _routing_tab(page, own_app.url)
    expect(care.get_by_label("Распределение")).to_have_value("random", timeout=LOAD)  # the seed's
    care.get_by_label("Распределение").select_option(label="По очереди")
    care.get_by_label("Лимит открытых диалогов").fill("0")
    page.get_by_role("button", name="Сохранить").last.click()
    expect(care.get_by_role("alert")).to_have_text(
        "Лимит открытых диалогов: целое число от 1 до 1000 или пусто"
    )
    care.get_by_label("Лимит открытых диалогов").fill("40")
    care.get_by_label("Переназначать, если ответственный не ответил за N минут").fill("15")
    page.get_by_role("button", name="Сохранить").last.click()
    expect(page.get_by_role("status").filter(has_text="Настройки сохранены")).to_be_visible()

    page.reload()
    care = _routing_tab(page, own_app.url)
    expect(care.get_by_label("Распределение")).to_have_value("round_robin", timeout=LOAD)
    expect(care.get_by_label("Распределение").locator("option:checked")).to_have_text("По очереди")
    expect(care.get_by_label("Лимит открытых диалогов")).to_have_value("40")
    expect(care.get_by_label("Переназначать, если ответственный не ответил за N минут")).to_have_value("15")
    # The other departments kept the default.
    sales = page.get_by_role("group", name="Отдел продаж")
    expect(sales.get_by_label("Распределение")).to_have_value("random")
    expect(sales.get_by_label("Лимит открытых диалогов")).to_have_value("")
    page.context.close()


@pytest.mark.feature("P11")
def test_an_employee_away_is_skipped_and_the_switch_is_kept(
    own_app: RunningApp, browser: Browser, engine: sa.Engine
) -> None:
    page = _admin(browser, own_app.url)
    switch = page.get_by_test_id("presence")
    expect(switch).to_have_text("В сети", timeout=LOAD)
    switch.click()
    expect(switch).to_have_text("Не в сети")
    page.reload()
    expect(page.get_by_test_id("presence")).to_have_text("Не в сети", timeout=LOAD)  # kept in the DB

    client = browser.new_context().new_page()
    for n in range(3):  # whatever the policy, nobody hands a chat to the one away
        before = _last_chat_id(engine)
        open_client_app(client, own_app.url, 0)  # a new anonymous visitor: a new chat of «Служба заботы…»
        send(client, f"Добрый день {n}")
        chat = _newest_chat(engine, before)
        assert _name(engine, chat.responsible_id) == MOROZOVA
    client.context.close()

    page.get_by_test_id("presence").click()
    expect(page.get_by_test_id("presence")).to_have_text("В сети", timeout=LOAD)
    page.context.close()


@pytest.mark.feature("P12")
def test_a_silent_responsible_hands_the_chat_on_as_the_system(
    own_app: RunningApp, browser: Browser, engine: sa.Engine
) -> None:
    with Session(engine) as session:
        care = session.exec(select(Department).where(Department.name == CARE)).one()
        routing = session.get(DepartmentRouting, care.id) or DepartmentRouting(department_id=care.id or 0)
        routing.policy, routing.max_open_dialogs, routing.reassign_after_minutes = (
            RoutingPolicy.round_robin,
            None,
            5,
        )
        session.add(routing)
        session.commit()
    client = browser.new_context().new_page()
    before = _last_chat_id(engine)
    open_client_app(client, own_app.url, 0)
    send(client, "Есть кто-нибудь?")
    chat = _newest_chat(engine, before)
    first = _name(engine, chat.responsible_id)
    second = ADMIN if first == MOROZOVA else MOROZOVA

    own_app.advance_clock(6 * 60)  # nobody answered in 5 minutes

    page = _admin(browser, own_app.url)
    page.goto(f"{own_app.url}/support/chats/{chat.id}")
    entry = (
        page.get_by_test_id("history-entry")
        .filter(has_text="Система")
        .filter(has_text=f"Ответственный: {first} → {second}")
    )
    for _ in range(30):  # the timer's round runs every second; the card is opened until it has run
        if entry.count():
            break
        time.sleep(1)
        page.reload()
    expect(entry).to_have_count(1, timeout=LOAD)
    expect(entry).to_contain_text("Ответственный не ответил клиенту за 5 мин: чат передан другому сотруднику")
    with Session(engine) as session:
        assert _name(engine, session.get(Chat, chat.id).responsible_id) == second
    client.context.close()
    page.context.close()
