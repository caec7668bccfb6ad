"""How the conversation behaves in Chromium on both screens (P1–P7, M11): it keeps to the newest
message, Enter sends, dates and dialogs are marked, links are safe and long words wrap, typing
shows, a pasted file is staged, and only a tab the employee looks at marks messages read.

Clients: picker places 36, 37, 38 and 40 (unitless, no chat in the demo) and 2; the other
browser tests leave them alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import AuthorKind, Chat, Client, Message, utcnow
from chat_crm.services.timefmt import day_label, format_datetime, format_time, local_day
from tests.e2e.conftest import RunningApp, bubble, login, open_chat_of, open_client_app, send

pytestmark = pytest.mark.e2e

# A real 1×1 PNG, for the pasted and dropped files.
PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

# What the browser does when a user pastes, or drops, a file: ``[name, base64]``.
_FILE_JS = """([name, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, {type: "image/png"}));
    return transfer;
}"""
PASTE_JS = f"""(el, file) => {{
    const init = {{clipboardData: ({_FILE_JS})(file), bubbles: true, cancelable: true}};
    el.dispatchEvent(new ClipboardEvent("paste", init));
}}"""
DROP_JS = f"""(el, file) => {{
    const init = {{dataTransfer: ({_FILE_JS})(file), bubbles: true, cancelable: true}};
    el.dispatchEvent(new DragEvent("dragover", init));
    el.dispatchEvent(new DragEvent("drop", init));
}}"""

# A frame the app's websocket sends for the state's ``typing`` event.
TYPING_EVENT = re.compile(r'\.typing\\*"')

# How far the scroll container is from its end.
GAP_JS = "el => el.scrollHeight - el.scrollTop - el.clientHeight"


@pytest.fixture(scope="module")
def app_db(app_server: RunningApp) -> Iterator[sa.Engine]:
    engine = create_engine(app_server.env["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def pair(browser: Browser) -> Iterator[tuple[Page, Page]]:
    """(employee, client), each in its own browser context; the employee's window is 1280 px wide."""
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    client = browser.new_context().new_page()
    yield staff, client
    staff.context.close()
    client.context.close()


def _stamp() -> str:
    return str(time.time_ns())[-9:]


def _staff_opens(app_server: RunningApp, staff: Page, name: str) -> None:
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    open_chat_of(staff, app_server.url, name)


def _start(app_server: RunningApp, staff: Page, client: Page, who: int, first: str) -> str:
    """The client writes ``first``; the manager opens that chat. Returns the client's name."""
    name = open_client_app(client, app_server.url, who)
    send(client, first)
    expect(bubble(client, first)).to_be_visible()
    _staff_opens(app_server, staff, name)
    expect(bubble(staff, first)).to_be_visible()
    return name


def _reopen_app_chat(client: Page) -> None:
    client.get_by_role("button", name="← Назад").first.click()
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()


def _chat_id(engine: sa.Engine, name: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Chat.id).join(Client).where(Client.full_name == name)).one() or 0


def _scroller(page: Page) -> Locator:
    return page.locator("[data-chat-scroll]")


def _at_bottom(page: Page) -> None:
    """The conversation shows its end (within a couple of pixels)."""
    scroller = _scroller(page)
    deadline = time.monotonic() + 5
    while scroller.evaluate(GAP_JS) > 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scroller.evaluate(GAP_JS) <= 2


def _set_visibility(page: Page, state: str) -> None:
    """What the browser reports when the user switches tabs, then the event it fires."""
    page.evaluate(
        """state => {
             Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
             Object.defineProperty(document, "hidden", {configurable: true, get: () => state !== "visible"});
             document.dispatchEvent(new Event("visibilitychange"));
           }""",
        state,
    )


@pytest.mark.feature("P1")
def test_the_conversation_keeps_to_the_newest_message_and_offers_new_ones_below(
    app_server: RunningApp, app_db: sa.Engine, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    name = open_client_app(client, app_server.url, 36)
    send(client, f"Начало {stamp}")
    expect(bubble(client, f"Начало {stamp}")).to_be_visible()
    # A long conversation, more than a screenful, written a minute ago (within the rate limit).
    earlier = utcnow() - timedelta(minutes=1)
    with Session(app_db) as session:
        session.add_all(
            Message(
                chat_id=_chat_id(app_db, name),
                author_kind=AuthorKind.client,
                text=f"Строка {n} {stamp}",
                created_at=earlier,
            )
            for n in range(40)
        )
        session.commit()

    # Both screens open on the newest message.
    _reopen_app_chat(client)
    expect(bubble(client, f"Строка 39 {stamp}")).to_be_in_viewport()
    _at_bottom(client)
    _staff_opens(app_server, staff, name)
    expect(bubble(staff, f"Строка 39 {stamp}")).to_be_in_viewport()
    _at_bottom(staff)

    # Arrivals while at the end: the screen follows them.
    send(staff, f"Ответ {stamp}")
    expect(bubble(client, f"Ответ {stamp}")).to_be_in_viewport()
    _at_bottom(client)
    _at_bottom(staff)
    marker = staff.get_by_role("button", name="Новые сообщения ↓")
    expect(marker).to_be_hidden()

    # Scrolled up to read: an arrival does not pull the screen down, the marker appears instead.
    _scroller(staff).evaluate("el => { el.scrollTop = 0; }")
    expect(bubble(staff, f"Строка 0 {stamp}")).to_be_in_viewport()
    send(client, f"Пока вы читали {stamp}")
    expect(bubble(staff, f"Пока вы читали {stamp}")).to_have_count(1)
    expect(marker).to_be_visible()
    expect(bubble(staff, f"Пока вы читали {stamp}")).not_to_be_in_viewport()
    expect(bubble(staff, f"Строка 0 {stamp}")).to_be_in_viewport()
    marker.click()
    expect(bubble(staff, f"Пока вы читали {stamp}")).to_be_in_viewport()
    expect(marker).to_be_hidden()
    _at_bottom(staff)

    # The same in the app.
    _scroller(client).evaluate("el => { el.scrollTop = 0; }")
    send(staff, f"Ещё ответ {stamp}")
    app_marker = client.get_by_role("button", name="Новые сообщения ↓")
    expect(app_marker).to_be_visible()
    app_marker.click()
    expect(bubble(client, f"Ещё ответ {stamp}")).to_be_in_viewport()
    expect(app_marker).to_be_hidden()


@pytest.mark.feature("P2")
def test_enter_sends_and_shift_enter_makes_a_new_line_on_both_screens(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    _start(app_server, staff, client, 37, f"Здравствуйте {stamp}")

    for page, who in ((client, "Клиент"), (staff, "Менеджер")):
        field = page.get_by_placeholder("Сообщение")
        field.click()
        field.press_sequentially(f"{who} строка 1 {stamp}")
        field.press("Shift+Enter")
        field.press_sequentially("строка 2")
        expect(field).to_have_value(f"{who} строка 1 {stamp}\nстрока 2")
        expect(bubble(page, f"{who} строка 1 {stamp}")).to_have_count(0)  # not sent yet
        # Enter while an input method is still composing a word does not send either.
        field.dispatch_event("keydown", {"key": "Enter", "isComposing": True, "bubbles": True})
        page.wait_for_timeout(500)
        expect(bubble(page, f"{who} строка 1 {stamp}")).to_have_count(0)
        field.press("Enter")
        sent = bubble(page, f"{who} строка 1 {stamp}")
        expect(sent).to_have_count(1)
        assert sent.locator(".message-text").inner_text() == f"{who} строка 1 {stamp}\nстрока 2"
        expect(field).to_have_value("")
        # An empty field sends nothing.
        field.press("Enter")
        page.wait_for_timeout(300)
        expect(page.locator("[data-testid=message]").filter(has_text=f"{who} строка 1")).to_have_count(1)

    for page in (client, staff):  # both messages, on both screens
        expect(bubble(page, f"строка 1 {stamp}")).to_have_count(2)


@pytest.mark.feature("P3")
def test_messages_are_grouped_by_day_with_times_in_the_partners_zone(
    app_server: RunningApp, app_db: sa.Engine, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    name = open_client_app(client, app_server.url, 38)
    send(client, f"Три дня назад {stamp}")
    send(client, f"Вчера {stamp}")
    expect(bubble(client, f"Вчера {stamp}")).to_be_visible()
    now = utcnow()
    older, yesterday = now - timedelta(days=3), now - timedelta(days=1)
    with Session(app_db) as session:
        for text, when in ((f"Три дня назад {stamp}", older), (f"Вчера {stamp}", yesterday)):
            row = session.exec(select(Message).where(Message.text == text)).one()
            row.created_at = when
            session.add(row)
        session.commit()
    send(client, f"Сегодня {stamp}")
    expect(bubble(client, f"Сегодня {stamp}")).to_be_visible()

    expected = [day_label(local_day(older)), "Вчера", "Сегодня"]
    assert expected[0] not in ("Сегодня", "Вчера") and expected[0][0].isdigit()  # «22 ноября»
    _reopen_app_chat(client)
    _staff_opens(app_server, staff, name)
    for page in (client, staff):
        expect(bubble(page, f"Сегодня {stamp}")).to_be_visible()
        expect(page.get_by_test_id("day-break")).to_have_text(expected)
        time_label = bubble(page, f"Три дня назад {stamp}").get_by_test_id("message-time")
        expect(time_label).to_have_text(format_time(older))
        expect(time_label).to_have_attribute("title", format_datetime(older))

    # A live arrival on a new day screen keeps the separators as they are: one «Сегодня».
    send(client, f"И ещё {stamp}")
    expect(bubble(staff, f"И ещё {stamp}")).to_be_visible()
    expect(staff.get_by_test_id("day-break")).to_have_text(expected)


@pytest.mark.feature("P3")
def test_the_bot_restart_unit_agrees_with_the_number(app_server: RunningApp, browser: Browser) -> None:
    page = browser.new_context().new_page()
    login(page, app_server.url, "admin@demo.ru")
    page.wait_for_url("**/support/chats")
    page.goto(f"{app_server.url}/support/settings")
    page.get_by_role("tab", name="Чат-бот").click()
    number, unit = page.get_by_label("Повторный запуск"), page.get_by_label("Единица времени")
    expect(number).to_have_value("1")
    chosen = unit.locator("option:checked")
    expect(chosen).to_have_text("день")
    for typed, word in (("2", "дня"), ("5", "дней"), ("11", "дней"), ("21", "день"), ("24", "дня")):
        number.fill(typed)
        expect(chosen).to_have_text(word)
    unit.select_option(value="hours")
    expect(chosen).to_have_text("часа")  # 24 часа
    page.context.close()  # nothing saved


@pytest.mark.feature("P4")
def test_links_are_safe_and_a_long_url_wraps_without_a_horizontal_scroll(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    _start(
        app_server, staff, client, 2, f"Смотрите https://example.com/plan?id={stamp}. И javascript:alert(1)"
    )

    for page in (staff, client):
        sent = bubble(page, f"https://example.com/plan?id={stamp}")
        link = sent.get_by_role("link", name=f"https://example.com/plan?id={stamp}", exact=True)
        expect(link).to_have_attribute("href", f"https://example.com/plan?id={stamp}")  # no trailing dot
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(sent.locator("a")).to_have_count(1)  # javascript: stays text
        expect(sent).to_contain_text("И javascript:alert(1)")

    long_url = f"https://example.com/{stamp}/" + "x" * (600 - len(f"https://example.com/{stamp}/"))
    assert len(long_url) == 600
    send(client, long_url)
    for page in (staff, client):
        expect(bubble(page, long_url[:60])).to_be_visible()
    assert staff.evaluate("document.scrollingElement.scrollWidth") <= 1280
    assert staff.evaluate("document.scrollingElement.clientWidth") == 1280
    send_button = staff.get_by_role("button", name="Отправить")
    expect(send_button).to_be_in_viewport()
    box = send_button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
    # The long URL wraps inside its bubble on the phone too.
    phone = client.get_by_test_id("phone").bounding_box()
    long_bubble = bubble(client, long_url[:60]).bounding_box()
    assert phone and long_bubble and long_bubble["x"] + long_bubble["width"] <= phone["x"] + phone["width"]


@pytest.mark.feature("P5")
def test_bot_messages_are_marked_and_dialogs_are_separated(
    app_server: RunningApp, app_db: sa.Engine, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    name = open_client_app(client, app_server.url, 40)
    send(client, f"Первый вопрос {stamp}")
    expect(bubble(client, f"Первый вопрос {stamp}")).to_be_visible()
    with Session(app_db) as session:
        session.add(
            Message(chat_id=_chat_id(app_db, name), author_kind=AuthorKind.bot, text=f"Я бот {stamp}")
        )
        session.commit()
    _staff_opens(app_server, staff, name)
    expect(bubble(staff, f"Я бот {stamp}").get_by_text("Чат-бот", exact=True)).to_be_visible()
    expect(bubble(staff, f"Первый вопрос {stamp}").get_by_text("Чат-бот", exact=True)).to_have_count(0)

    staff.get_by_role("button", name="Завершить диалог").click()
    staff.get_by_role("menuitem", name="Вопрос решен").click()
    closing = "Рады, что смогли помочь! Если появятся вопросы — пишите."
    expect(bubble(client, closing)).to_be_visible()
    send(client, f"Ещё вопрос {stamp}")
    expect(bubble(staff, f"Ещё вопрос {stamp}")).to_be_visible()

    _reopen_app_chat(client)
    for page in (staff, client):
        breaks = page.get_by_test_id("dialog-break")
        expect(breaks.filter(has_text="Диалог завершен: Вопрос решен")).to_have_count(1)
        texts = breaks.all_inner_texts()
        assert texts[-2:] == ["Диалог завершен: Вопрос решен", "Новый диалог"], texts
        # The separators sit after the closing message and before the next question.
        order = page.locator("[data-testid=message], [data-testid=dialog-break]").all_inner_texts()
        closed_at = next(i for i, text in enumerate(order) if "Диалог завершен: Вопрос решен" in text)
        assert closing in order[closed_at - 1]
        assert order[closed_at + 1] == "Новый диалог"
        assert f"Ещё вопрос {stamp}" in order[closed_at + 2]


@pytest.mark.feature("P6")
def test_typing_shows_on_the_other_side_and_is_throttled(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    typing_frames: list[str] = []
    client.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda payload: typing_frames.append(str(payload)) if TYPING_EVENT.search(str(payload)) else None,
        ),
    )
    stamp = _stamp()
    _start(app_server, staff, client, 37, f"Печатаю {stamp}")

    typing_frames.clear()
    client.get_by_placeholder("Сообщение").press_sequentially("Добрый день, подскажите", delay=40)
    indicator = staff.get_by_test_id("typing")
    expect(indicator).to_have_text("Клиент печатает…")
    expect(indicator).to_be_visible()
    assert len(typing_frames) == 1, typing_frames  # about one second of typing: one event
    expect(indicator).to_be_hidden(timeout=10_000)  # it stops showing once the client stops

    staff_name = staff.get_by_test_id("employee-name").inner_text().split()
    staff.get_by_placeholder("Сообщение").press_sequentially("Сейчас", delay=40)
    expect(client.get_by_test_id("typing")).to_have_text(f"{staff_name[1]} печатает…")
    expect(client.get_by_test_id("typing")).to_be_visible()
    # A message from the typist replaces the indicator.
    staff.get_by_placeholder("Сообщение").press("Enter")
    expect(bubble(client, "Сейчас")).to_be_visible()
    expect(client.get_by_test_id("typing")).to_be_hidden()


@pytest.mark.feature("P7")
def test_a_pasted_or_dropped_file_is_staged_like_the_paperclips(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    _start(app_server, staff, client, 2, f"Пришлю фото {stamp}")

    # Pasted into the CRM's field.
    field = staff.get_by_placeholder("Сообщение")
    field.fill(f"Вставлено {stamp}")
    field.evaluate(PASTE_JS, ["вставка.png", PNG_BASE64])
    expect(staff.get_by_test_id("staged-file")).to_contain_text("вставка.png")
    expect(field).to_have_value(f"Вставлено {stamp}")  # the text stays, no file name pasted in
    staff.get_by_role("button", name="Отправить").click()
    expect(bubble(client, f"Вставлено {stamp}").get_by_test_id("message-image")).to_be_visible()

    # Dropped on the app's composer.
    client.locator("form[data-chat-composer]").evaluate(DROP_JS, ["перетащено.png", PNG_BASE64])
    expect(client.get_by_test_id("staged-file")).to_contain_text("перетащено.png")
    client.get_by_placeholder("Сообщение").fill(f"Перетащено {stamp}")
    client.get_by_role("button", name="Отправить").click()
    expect(bubble(staff, f"Перетащено {stamp}").get_by_test_id("message-image")).to_be_visible()


@pytest.mark.feature("M11")
def test_a_background_tab_marks_nothing_read(
    app_server: RunningApp, app_db: sa.Engine, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    _start(app_server, staff, client, 36, f"На виду {stamp}")
    expect(bubble(client, f"На виду {stamp}").get_by_text("Прочитано")).to_be_visible()

    _set_visibility(staff, "hidden")  # the employee switched to another tab
    send(client, f"Фоном {stamp}")
    expect(bubble(staff, f"Фоном {stamp}")).to_be_visible()  # it arrives all the same
    staff.wait_for_timeout(1500)  # well past the read debounce
    expect(bubble(client, f"Фоном {stamp}").get_by_text("Прочитано")).to_have_count(0)
    with Session(app_db) as session:
        row = session.exec(select(Message).where(Message.text == f"Фоном {stamp}")).one()
        assert row.read_at is None

    _set_visibility(staff, "visible")  # back to the tab
    expect(bubble(client, f"Фоном {stamp}").get_by_text("Прочитано")).to_be_visible()
    with Session(app_db) as session:
        row = session.exec(
            select(Message).where(Message.text == f"Фоном {stamp}", col(Message.read_at).is_not(None))
        ).one()
        assert row.read_by_employee_id is not None


@pytest.mark.feature("M11")
def test_the_unread_badge_counts_live_while_the_app_is_outside_the_chat(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = _stamp()
    _start(app_server, staff, client, 39, f"Жду ответа {stamp}")
    client.get_by_role("button", name="← Назад").first.click()  # back to the storefront
    badge = client.get_by_role("button", name="Связаться с нами").get_by_test_id("unread-badge")
    expect(badge).to_have_count(0)

    send(staff, f"Ответ {stamp}")
    expect(badge).to_have_text("1")  # no reload: the storefront follows the chat
    send(staff, f"И ещё {stamp}")
    expect(badge).to_have_text("2")

    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    expect(bubble(client, f"И ещё {stamp}")).to_be_visible()
    expect(bubble(staff, f"И ещё {stamp}").get_by_text("Прочитано")).to_be_visible()


@pytest.mark.feature("P1", "P4")
def test_on_a_phone_the_card_shows_the_newest_message_in_view_without_a_sideways_scroll(
    app_server: RunningApp, browser: Browser
) -> None:
    staff = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    client = browser.new_context().new_page()
    stamp = _stamp()
    _start(app_server, staff, client, 36, f"С телефона {stamp}")  # the background-tab test's client
    send(client, f"Последнее {stamp}")
    newest = bubble(staff, f"Последнее {stamp}")
    expect(newest).to_be_in_viewport()  # the conversation comes first, at its newest message
    assert staff.evaluate("document.scrollingElement.scrollWidth") <= 390
    expect(staff.get_by_role("button", name="Отправить")).to_be_in_viewport()
    staff.context.close()
    client.context.close()
