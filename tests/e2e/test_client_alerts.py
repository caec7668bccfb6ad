"""The phone's notifications in Chromium (N3–N5): the four unread counters grow live and reset
on reading, a banner for each staff message opens the chat, and the 24-hour reminder survives
a kill -9, lands on «Уведомления» and leads to the chat and back.

Clients: picker places 49–52 in the shared app; the reminder test runs its own app.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine

from tests.bot_rules import bot_rules_on
from tests.e2e.conftest import RunningApp, bubble, login, send, start_client_app

pytestmark = pytest.mark.e2e


def _stamp() -> str:
    return str(time.time_ns())[-9:]


def _client_writes_then_leaves(client: Page, url: str, who: int, text: str) -> str:
    """The client writes from the chat (so everything before is read), then goes back to the
    storefront; returns the client's name."""
    name = start_client_app(client, url, who)
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    send(client, text)
    expect(bubble(client, text)).to_be_visible()
    client.get_by_role("button", name="← Назад").first.click()
    expect(client.get_by_role("heading", name="Витрина")).to_be_visible()
    return name


def _staff_opens(staff: Page, url: str, name: str, first: str) -> None:
    """The administrator opens the chat whose last message is ``first`` (names may repeat)."""
    login(staff, url, "admin@demo.ru")
    staff.goto(f"{url}/support/chats")
    staff.get_by_placeholder("Поиск по номеру чата и ФИО клиента").fill(name)
    row = staff.locator("[data-testid=chat-row]").filter(has_text=first)
    row.get_by_role("link", name=name).click()
    staff.wait_for_url(re.compile(r"/support/chats/\d+$"))
    expect(bubble(staff, first)).to_be_visible()


@pytest.mark.feature("N4")
def test_the_four_counters_grow_live_outside_the_chat_and_reset_when_read(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    name = _client_writes_then_leaves(client, app_server.url, 49, f"Вопрос {stamp}")
    _staff_opens(staff, app_server.url, name, f"Вопрос {stamp}")

    icon = client.get_by_test_id("app-icon-badge")
    storefront = client.get_by_role("button", name="Витрина").get_by_test_id("storefront-badge")
    contact = client.get_by_role("button", name="Связаться с нами").get_by_test_id("unread-badge")
    for badge in (icon, storefront, contact):
        expect(badge).to_have_count(0)

    send(staff, f"Ответ {stamp}")
    for badge in (icon, storefront, contact):
        expect(badge).to_have_text("1")  # no reload: every screen of the app follows the chat
    expect(client).to_have_title("(1) Приложение клиента")
    send(staff, f"И ещё {stamp}")
    for badge in (icon, storefront, contact):
        expect(badge).to_have_text("2")

    client.get_by_role("button", name="Связаться с нами").click()
    row = client.get_by_role("button", name="Написать в чат")
    expect(row.get_by_test_id("unread-badge")).to_have_text("2")
    row.click()
    expect(bubble(client, f"И ещё {stamp}")).to_be_visible()
    expect(bubble(staff, f"И ещё {stamp}").get_by_text("Прочитано")).to_be_visible()  # read
    client.get_by_role("button", name="← Назад").first.click()
    for badge in (icon, storefront, contact):
        expect(badge).to_have_count(0)
    expect(client).to_have_title("Приложение клиента")


@pytest.mark.feature("N3")
def test_a_banner_for_each_staff_message_outside_the_chat_opens_the_chat(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    name = _client_writes_then_leaves(client, app_server.url, 50, f"Здравствуйте {stamp}")
    _staff_opens(staff, app_server.url, name, f"Здравствуйте {stamp}")

    banner = client.get_by_test_id("push-banner")
    send(staff, f"<b>Первое</b> {stamp}")
    expect(banner).to_contain_text(f"<b>Первое</b> {stamp}")  # the text as typed, never HTML
    expect(banner.locator("b")).to_have_count(0)
    send(staff, f"Второе {stamp}")
    expect(banner).to_contain_text(f"Второе {stamp}")  # one banner per message: the newest
    expect(banner).to_contain_text("Смирнова Анна Сергеевна")  # who wrote (admin@demo.ru)

    banner.get_by_role("button", name="Закрыть уведомление").click()
    expect(banner).to_have_count(0)
    send(staff, f"Третье {stamp}")
    expect(banner).to_contain_text(f"Третье {stamp}")
    banner.get_by_test_id("push-text").click()
    expect(bubble(client, f"Третье {stamp}")).to_be_visible()  # tapping opens the chat
    expect(banner).to_have_count(0)
    send(staff, f"В чате {stamp}")
    expect(bubble(client, f"В чате {stamp}")).to_be_visible()
    expect(banner).to_have_count(0)  # in the chat itself no banner covers it
    expect(client.get_by_test_id("app-icon-badge")).to_have_count(0)

    client.get_by_role("button", name="← Назад").first.click()
    send(staff, f"Сам скроется {stamp}")
    expect(banner).to_contain_text(f"Сам скроется {stamp}")
    expect(banner).to_have_count(0, timeout=15000)  # it goes by itself after a few seconds


# ---- this module's own app: the bot switched on, a kill -9, the clock moved by days ------------
@pytest.fixture(scope="module")
def own_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = RunningApp(
        tmp_path_factory.mktemp("reminder"), {"SESSION_IDLE_MINUTES": "100000", "SESSION_MAX_DAYS": "60"}
    )
    app.load_demo()
    app.start()
    yield app
    app.stop()


@pytest.mark.feature("N4")
def test_the_counter_on_a_unit_card_where_the_bot_covers_its_topic(
    own_app: RunningApp, browser: Browser
) -> None:
    """«Связаться с нами» on a booking, deal or acceptance card (with the bot on and those
    topics set up, B10) counts live too, and so does the row it opens."""
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    url, stamp = own_app.url, _stamp()
    engine = create_engine(own_app.env["DATABASE_URL"])
    name = _client_writes_then_leaves(client, url, 51, f"Про мою квартиру {stamp}")
    _staff_opens(staff, url, name, f"Про мою квартиру {stamp}")
    with bot_rules_on(engine):
        client.reload()  # the app relaunched, with the bot on
        client.get_by_test_id("unit-card-button").first.click()
        card = client.get_by_test_id("unit-card")
        entry = card.get_by_role("button", name="Связаться с нами")
        expect(entry).to_be_visible()
        expect(entry.get_by_test_id("unread-badge")).to_have_count(0)
        send(staff, "Документы готовы")
        expect(entry.get_by_test_id("unread-badge")).to_have_text("1")  # live on the card
        expect(client.get_by_test_id("app-icon-badge")).to_have_text("1")
        send(staff, "Приезжайте подписать")
        expect(entry.get_by_test_id("unread-badge")).to_have_text("2")
        entry.click()
        row = client.get_by_role("button", name="Написать в чат")
        expect(row.get_by_test_id("unread-badge")).to_have_text("2")
        row.click()
        expect(bubble(client, "Приезжайте подписать")).to_be_visible()
        expect(bubble(staff, "Приезжайте подписать").get_by_text("Прочитано")).to_be_visible()
        client.get_by_role("button", name="Витрина").click()
        client.get_by_test_id("unit-card-button").first.click()
        expect(entry.get_by_test_id("unread-badge")).to_have_count(0)  # reset by reading
    engine.dispose()
    staff.context.close()
    client.context.close()


@pytest.mark.feature("N5")
def test_the_24_hour_reminder_survives_a_restart_and_leads_to_the_chat_and_back(
    own_app: RunningApp, browser: Browser
) -> None:
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    url = own_app.url
    name = _client_writes_then_leaves(client, url, 49, "Когда ключи?")
    _staff_opens(staff, url, name, "Когда ключи?")
    send(staff, "Ключи выдаём в пятницу, приедете?")
    expect(client.get_by_test_id("app-icon-badge")).to_have_text("1")

    own_app.kill()  # the due time is in the database, nothing in memory
    own_app.start()
    own_app.advance_clock(24 * 3600 + 60)

    client.goto(f"{url}/app")  # the app relaunched: the storefront
    menu = client.get_by_role("button", name="Уведомления")
    expect(menu.get_by_test_id("notifications-badge")).to_have_text("1")
    menu.click()
    screen = client.get_by_test_id("notifications-screen")
    entry = screen.get_by_test_id("client-notification")
    expect(entry).to_have_count(1)  # once, whatever the rounds after it
    expect(entry).to_contain_text("Вы не ответили на сообщение в чате")
    expect(menu.get_by_test_id("notifications-badge")).to_have_count(0)  # viewed

    entry.click()
    expect(bubble(client, "Ключи выдаём в пятницу, приедете?")).to_be_visible()
    client.get_by_role("button", name="← Назад").first.click()
    expect(client.get_by_test_id("notifications-screen")).to_be_visible()  # back to «Уведомления»
    expect(entry).to_have_count(1)

    # The reminder fired once; the next unanswered message starts another, shown live.
    client.get_by_role("button", name="Витрина").click()
    staff.reload()  # the employee's page, after the restart
    send(staff, "И ещё: возьмите паспорт")
    expect(bubble(staff, "И ещё: возьмите паспорт")).to_be_visible()
    banner = client.get_by_test_id("push-banner")
    expect(banner).to_contain_text("И ещё: возьмите паспорт")  # stored, and shown live
    own_app.advance_clock(24 * 3600 + 60)
    expect(menu.get_by_test_id("notifications-badge")).to_have_text("1")
    expect(banner).to_contain_text("Вы не ответили на сообщение в чате")
    banner.get_by_test_id("push-text").click()
    expect(bubble(client, "И ещё: возьмите паспорт")).to_be_visible()
    client.get_by_role("button", name="← Назад").first.click()
    expect(client.get_by_test_id("client-notification")).to_have_count(2)
    staff.context.close()
    client.context.close()


# ---- X2: who opens the simulated app, and from which OS -------------------------------------------
@pytest.mark.feature("X2")
def test_the_picker_opens_the_app_as_an_authorized_client_or_an_anonymous_visitor_on_ios_or_android(
    app_server: RunningApp, browser: Browser
) -> None:
    engine = create_engine(app_server.env["DATABASE_URL"])
    stamp = _stamp()
    seen: list[tuple[bool, str, str]] = []
    for who, channel in ((53, "Android"), ("Неавторизованный посетитель", "iOS")):
        page = browser.new_context().new_page()
        name = start_client_app(page, app_server.url, who, channel)
        expect(page.get_by_role("heading", name="Витрина")).to_be_visible()
        if who == 53:
            expect(page.get_by_test_id("unit-card-button").first).to_be_visible()  # their units
        page.get_by_role("button", name="Связаться с нами").click()
        page.get_by_role("button", name="Написать в чат").click()
        send(page, f"Канал {channel} {stamp}")
        expect(bubble(page, f"Канал {channel} {stamp}")).to_be_visible()
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT client.is_authorized, client.full_name, chat.channel FROM message"
                    " JOIN chat ON chat.id = message.chat_id JOIN client ON client.id = chat.client_id"
                    " WHERE message.text = :t"
                ),
                {"t": f"Канал {channel} {stamp}"},
            ).one()
        # The authorized client is the one picked, by name; the visitor is a new nameless client.
        seen.append((bool(row[0]), row[1] == name if row[0] else row[1] == "", str(row[2]).lower()))
        page.context.close()
    engine.dispose()
    assert seen == [(True, True, "android"), (False, True, "ios")]
