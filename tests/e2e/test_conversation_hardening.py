"""The conversation against bad luck and bad input, in Chromium (issue 9): drafts that survive
a reload, the message rate limit, S1 held by the server against a crafted resend, strict route
ids and a calculator that refuses what is not a number."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, create_engine

from chat_crm.models import AuthorKind, DeepLinkKind, Message
from tests.e2e.conftest import RunningApp, bubble, open_client_app, send

pytestmark = pytest.mark.e2e


def _staff_login(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill("manager@demo.ru")
    page.get_by_label("Пароль").fill("demo")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r".*/support/chats/?$"))


@contextmanager
def _db(app: RunningApp) -> Iterator[sa.Connection]:
    engine = sa.create_engine(app.env["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _chat_of(app: RunningApp, client_name: str) -> tuple[int, int]:
    """(chat id, client id) of a demo client's chat."""
    with _db(app) as conn:
        row = conn.execute(
            sa.text(
                "SELECT chat.id, client.id FROM chat JOIN client ON client.id = chat.client_id "
                "WHERE full_name = :n"
            ),
            {"n": client_name},
        ).one()
    return row[0], row[1]


def _add(app: RunningApp, rows: list[Message]) -> None:
    engine = create_engine(app.env["DATABASE_URL"])
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    engine.dispose()


def _stored(app: RunningApp, text: str) -> int:
    with _db(app) as conn:
        return conn.execute(sa.text("SELECT count(*) FROM message WHERE text = :t"), {"t": text}).scalar_one()


def _field(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_placeholder("Сообщение")


@pytest.mark.feature("P18")
def test_a_typed_draft_survives_a_reload_on_both_screens(
    app_server: RunningApp, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    name = open_client_app(client, app_server.url, 41)
    send(client, f"Здравствуйте {stamp}")
    expect(bubble(client, f"Здравствуйте {stamp}")).to_be_visible()
    _field(client).fill(f"Недописанное клиентом {stamp}")
    client.reload()  # an app relaunch: the storefront, then the chat with the draft back
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    expect(_field(client)).to_have_value(f"Недописанное клиентом {stamp}")

    _staff_login(staff, app_server.url)
    chat_id, _ = _chat_of(app_server, name)
    staff.goto(f"{app_server.url}/support/chats/{chat_id}")
    expect(bubble(staff, f"Здравствуйте {stamp}")).to_be_visible()
    _field(staff).fill(f"Недописанное менеджером {stamp}")
    staff.reload()
    expect(_field(staff)).to_have_value(f"Недописанное менеджером {stamp}")
    # Another chat has its own draft (none); back here, this one is still kept.
    staff.goto(f"{app_server.url}/support/chats/{chat_id - 1 or chat_id + 1}")
    expect(staff.get_by_role("heading", name=re.compile("Чат №"))).to_be_visible()
    expect(_field(staff)).to_have_value("")
    staff.goto(f"{app_server.url}/support/chats/{chat_id}")
    expect(_field(staff)).to_have_value(f"Недописанное менеджером {stamp}")
    # Sent, it is gone from the field and from the browser's keeping, and stored once.
    staff.get_by_role("button", name="Отправить").click()
    expect(bubble(staff, f"Недописанное менеджером {stamp}")).to_have_count(1)
    staff.reload()
    expect(bubble(staff, f"Недописанное менеджером {stamp}")).to_have_count(1)
    expect(_field(staff)).to_have_value("")
    assert _stored(app_server, f"Недописанное менеджером {stamp}") == 1


@pytest.mark.feature("P18")
def test_too_many_messages_are_refused_in_russian_and_the_text_stays(
    app_server: RunningApp, browser: Browser
) -> None:
    client = browser.new_context().new_page()
    stamp = str(int(time.time()))
    name = open_client_app(client, app_server.url, 42)
    send(client, f"Первое {stamp}")
    expect(bubble(client, f"Первое {stamp}")).to_be_visible()
    chat_id, _ = _chat_of(app_server, name)
    _add(  # 20 more in the last seconds, as a flood would leave them
        app_server,
        [
            Message(chat_id=chat_id, author_kind=AuthorKind.client, text=f"Поток {n} {stamp}")
            for n in range(20)
        ],
    )
    send(client, f"Ещё одно {stamp}")
    expect(client.get_by_role("alert")).to_contain_text("Слишком много сообщений: не больше 20 за 10 с")
    expect(_field(client)).to_have_value(f"Ещё одно {stamp}")
    assert _stored(app_server, f"Ещё одно {stamp}") == 0
    client.context.close()


@pytest.mark.feature("S1", "P18")
def test_with_the_chat_off_the_storefront_a_crafted_resend_is_refused(
    app_server: RunningApp, browser: Browser
) -> None:
    client = browser.new_context().new_page()
    stamp = str(int(time.time()))
    open_client_app(client, app_server.url, 43)
    send(client, f"Пока можно {stamp}")
    expect(bubble(client, f"Пока можно {stamp}")).to_be_visible()
    with _db(app_server) as conn:
        conn.execute(sa.text("UPDATE chat_settings SET show_in_storefront = false"))
    try:
        # The screen still shows the composer; the server refuses both ways in.
        send(client, f"Обычная отправка {stamp}")
        expect(client.get_by_role("alert")).to_have_text("Чат сейчас недоступен")
        client.evaluate(
            """(text) => {
              const form = document.querySelector("form[data-chat-resend]");
              form.querySelector("[name=client_msg_id]").value = "crafted-" + Date.now();
              form.querySelector("[name=text]").value = text;
              form.requestSubmit();
            }""",
            f"Подделка {stamp}",
        )
        expect(client.get_by_role("alert")).to_have_text("Чат сейчас недоступен")
        client.wait_for_timeout(1000)  # what the browser keeps is not resent into the store
        assert _stored(app_server, f"Обычная отправка {stamp}") == 0
        assert _stored(app_server, f"Подделка {stamp}") == 0
    finally:
        with _db(app_server) as conn:
            conn.execute(sa.text("UPDATE chat_settings SET show_in_storefront = true"))
    client.context.close()


@pytest.mark.feature("P18")
def test_route_ids_out_of_range_show_not_found_in_russian(app_server: RunningApp, browser: Browser) -> None:
    staff = browser.new_context().new_page()
    _staff_login(staff, app_server.url)
    for raw in ("abc", "%C2%B2", str(2**63), "9" * 30, "-1", "0"):
        staff.goto(f"{app_server.url}/support/chats/{raw}")
        expect(staff.get_by_text("Чат не найден")).to_be_visible()
        expect(staff.get_by_text("An error occurred")).to_have_count(0)
    staff.context.close()


@pytest.mark.feature("X1")
def test_the_mortgage_calculator_refuses_inf_nan_and_negatives(
    app_server: RunningApp, browser: Browser
) -> None:
    client = browser.new_context().new_page()
    stamp = str(int(time.time()))
    name = open_client_app(client, app_server.url, 44)
    send(client, f"Хочу ипотеку {stamp}")
    expect(bubble(client, f"Хочу ипотеку {stamp}")).to_be_visible()
    chat_id, _ = _chat_of(app_server, name)
    with _db(app_server) as conn:
        manager = conn.execute(
            sa.text("SELECT id FROM employee WHERE email = 'manager@demo.ru'")
        ).scalar_one()
    link = DeepLinkKind.mortgage_calculator
    _add(
        app_server,
        [
            Message(
                chat_id=chat_id,
                author_kind=AuthorKind.employee,
                employee_id=manager,
                text=f"Посчитайте {stamp}",
                deep_link_kind=link,
            )
        ],
    )
    client.get_by_role("button", name="← Назад").click()
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    bubble(client, f"Посчитайте {stamp}").get_by_test_id("deep-link").click()
    for price, rate in (
        ("inf", "6"),
        ("8000000", "nan"),
        ("1e400", "6"),
        ("-8000000", "6"),
        ("8000000", "-1"),
    ):
        client.get_by_label("Стоимость, ₽").fill(price)
        client.get_by_label("Первоначальный взнос, ₽").fill("0")
        client.get_by_label("Срок, лет").fill("20")
        client.get_by_label("Ставка, %").fill(rate)
        client.get_by_role("button", name="Рассчитать").click()
        expect(client.get_by_role("alert")).to_have_text(
            "Введите обычные положительные числа цифрами, например 8000000 и 6,5"
        )
        expect(client.get_by_test_id("calc-result")).to_have_count(0)
    client.context.close()
