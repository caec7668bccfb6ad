"""The chat card's «Клиент» (C2), «Управление» (C3), «История изменений» (C4) and
«Назначить на меня» (P10), in Chromium, driven by the Russian labels.

The tests use demo chats of clients 200–215, which no other browser test touches,
and a fresh anonymous visitor for the hidden «Клиент».
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, create_engine, select

from chat_crm.models import Chat, Client, ClientUnit, Department, Employee, Topic
from tests.e2e.conftest import RunningApp, bubble, login, open_client_app, send

pytestmark = pytest.mark.e2e

MANAGER = "Кузнецов Дмитрий Олегович"  # manager@demo.ru, «Отдел продаж»
ADMIN = "Смирнова Анна Сергеевна"  # admin@demo.ru, «Служба заботы о клиентах»


@pytest.fixture(scope="module")
def app_db(app_server: RunningApp) -> Iterator[sa.Engine]:
    engine = create_engine(app_server.env["DATABASE_URL"])
    yield engine
    engine.dispose()


def _demo_chat(engine: sa.Engine, client_id: int) -> tuple[int, Client]:
    """The demo chat of ``client_id``, put in a known state: «Отдел продаж», Васильев, no unit."""
    with Session(engine, expire_on_commit=False) as session:
        chat, client = session.exec(
            select(Chat, Client).join(Client, col(Client.id) == Chat.client_id).where(Client.id == client_id)
        ).one()
        seller = session.exec(select(Employee).where(Employee.email == "vasiliev@demo.ru")).one()
        chat.unit_id, chat.topic, chat.comment = None, Topic.other, ""
        chat.department_id, chat.responsible_id = seller.department_id, seller.id
        session.add(chat)
        session.commit()
        return chat.id or 0, client


def _employee_page(browser: Browser, base_url: str, email: str) -> Page:
    page = browser.new_context().new_page()
    login(page, base_url, email)
    page.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    return page


def _open_card(page: Page, base_url: str, chat_id: int) -> None:
    page.goto(f"{base_url}/support/chats/{chat_id}")
    expect(page.get_by_test_id("card-manage")).to_be_visible()


def _history(page: Page, who: str, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("history-entry").filter(has_text=who).filter(has_text=text)


@pytest.mark.feature("C2")
def test_the_client_block_shows_the_clients_data(app_server: RunningApp, browser: Browser, app_db) -> None:
    chat_id, client = _demo_chat(app_db, 200)
    staff = _employee_page(browser, app_server.url, "manager@demo.ru")
    _open_card(staff, app_server.url, chat_id)
    block = staff.get_by_test_id("card-client")
    expect(block.get_by_role("heading", name="Клиент")).to_be_visible()
    expect(block).to_contain_text(client.full_name)
    expect(block).to_contain_text(client.phone)
    expect(block).to_contain_text(client.email)
    with Session(app_db) as session:
        owned = len(session.exec(select(ClientUnit).where(ClientUnit.client_id == client.id)).all())
    expect(block.get_by_test_id("client-unit")).to_have_count(owned)
    staff.context.close()


@pytest.mark.feature("C2")
def test_the_client_block_is_hidden_for_an_anonymous_visitor(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    stamp = str(time.time_ns())
    visitor = browser.new_context().new_page()
    open_client_app(visitor, app_server.url, "Неавторизованный посетитель")
    send(visitor, f"Подскажите цены {stamp}")
    expect(bubble(visitor, stamp)).to_be_visible()
    with Session(app_db) as session:
        chat_id = session.exec(
            select(Chat.id)
            .join(Client, col(Client.id) == Chat.client_id)
            .where(Client.is_authorized == False)  # noqa: E712
            .order_by(col(Chat.id).desc())
        ).first()
    staff = _employee_page(browser, app_server.url, "manager@demo.ru")
    _open_card(staff, app_server.url, chat_id or 0)
    expect(bubble(staff, stamp)).to_be_visible()
    expect(staff.get_by_test_id("card-client")).to_have_count(0)
    expect(staff.get_by_role("heading", name="Клиент", exact=True)).to_have_count(0)
    expect(staff.get_by_role("heading", name="Управление")).to_be_visible()
    visitor.context.close()
    staff.context.close()


@pytest.mark.feature("C3", "C4")
def test_each_field_is_saved_written_to_the_history_and_shown_live_on_another_card(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    chat_id, client = _demo_chat(app_db, 201)
    stamp = str(time.time_ns())[-6:]
    staff = _employee_page(browser, app_server.url, "manager@demo.ru")
    other = _employee_page(browser, app_server.url, "admin@demo.ru")
    _open_card(staff, app_server.url, chat_id)
    _open_card(other, app_server.url, chat_id)

    unit = staff.get_by_label("Помещение", exact=True)
    unit_label = unit.locator("option").nth(1).inner_text()  # the client's first unit
    unit.select_option(label=unit_label)
    staff.get_by_label("Тема", exact=True).select_option(label="Ипотека")
    staff.get_by_label("Подразделение", exact=True).select_option(label="Служба заботы о клиентах")
    responsible = staff.get_by_label("Ответственный", exact=True)
    # Only who may write to clients: the department's two «Оператор»s are not offered.
    expect(responsible.locator("option")).to_have_text(["—", "Морозова Татьяна Игоревна", ADMIN])
    responsible.select_option(label="Морозова Татьяна Игоревна")
    staff.get_by_label("Комментарий", exact=True).fill(f"Перезвонить после 18:00 {stamp}")
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.get_by_role("status")).to_have_text("Изменения сохранены")

    for page in (staff, other):  # the second card shows it without a reload
        expect(_history(page, MANAGER, f"Помещение: — → {unit_label}")).to_have_count(1)
        expect(_history(page, MANAGER, "Тема: Другой вопрос → Ипотека")).to_have_count(1)
        expect(
            _history(page, MANAGER, "Подразделение: Отдел продаж → Служба заботы о клиентах")
        ).to_have_count(1)
        expect(
            _history(page, MANAGER, "Ответственный: Васильев Игорь Петрович → Морозова Татьяна Игоревна")
        ).to_have_count(1)
        expect(_history(page, MANAGER, f"Комментарий: — → Перезвонить после 18:00 {stamp}")).to_have_count(1)
    expect(other.get_by_label("Тема", exact=True)).to_have_value("mortgage")
    expect(other.get_by_label("Ответственный", exact=True)).to_have_value(
        str(_employee_id(app_db, "morozova@demo.ru"))
    )
    expect(other.get_by_label("Комментарий", exact=True)).to_have_value(f"Перезвонить после 18:00 {stamp}")

    # The server refuses a too-long comment beside the field; what was typed stays.
    too_long = "я" * 2001
    staff.get_by_label("Комментарий", exact=True).fill(too_long)
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.locator("#manage-comment-error")).to_have_text(
        "Комментарий: не больше 2000 символов (сейчас 2001)"
    )
    expect(staff.get_by_label("Комментарий", exact=True)).to_have_value(too_long)
    staff.reload()
    expect(staff.get_by_label("Комментарий", exact=True)).to_have_value(f"Перезвонить после 18:00 {stamp}")
    staff.context.close()
    other.context.close()


def _employee_id(engine: sa.Engine, email: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Employee.id).where(Employee.email == email)).one() or 0


def _inject_option(page: Page, select_id: str, value: str) -> None:
    """What a crafted event would send: an option the server never offered."""
    page.evaluate(
        "([id, value]) => document.getElementById(id).add(new Option('подложено', value))", [select_id, value]
    )
    page.locator(f"#{select_id}").select_option(value=value)


@pytest.mark.feature("C3")
def test_a_crafted_unit_or_responsible_is_refused_beside_its_field(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    chat_id, client = _demo_chat(app_db, 202)
    with Session(app_db) as session:
        foreign_unit = session.exec(
            select(ClientUnit.unit_id).where(ClientUnit.client_id != client.id).order_by(ClientUnit.id)
        ).first()
        sales = session.exec(select(Department.id).where(Department.name == "Отдел продаж")).one()
        deals = session.exec(
            select(Department.id).where(Department.name == "Отдел сопровождения сделок")
        ).one()
    staff = _employee_page(browser, app_server.url, "manager@demo.ru")
    _open_card(staff, app_server.url, chat_id)
    _inject_option(staff, "manage-unit", str(foreign_unit))
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.locator("#manage-unit-error")).to_have_text(
        "Это помещение не принадлежит клиенту этого чата"
    )

    staff.reload()
    expect(staff.get_by_test_id("card-manage")).to_be_visible()
    staff.get_by_label("Подразделение", exact=True).select_option(value=str(deals))
    # Another department's employee (the administrator of «Служба заботы о клиентах»).
    _inject_option(staff, "manage-responsible", str(_employee_id(app_db, "admin@demo.ru")))
    staff.get_by_role("button", name="Сохранить").click()
    expect(staff.locator("#manage-responsible-error")).to_contain_text(
        "Ответственным может быть только активный сотрудник выбранного подразделения"
    )
    with Session(app_db) as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None and chat.unit_id != foreign_unit and chat.department_id == sales
    staff.context.close()


@pytest.mark.feature("P10", "C4")
def test_assign_to_me_then_hand_over_and_the_new_responsible_is_notified(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    chat_id, _client = _demo_chat(app_db, 203)
    with Session(app_db) as session:
        number = session.get(Chat, chat_id).number  # type: ignore[union-attr]
    staff = _employee_page(browser, app_server.url, "manager@demo.ru")
    _open_card(staff, app_server.url, chat_id)
    staff.get_by_role("button", name="Назначить на меня").click()
    expect(staff.get_by_role("status")).to_have_text("Изменения сохранены")
    expect(_history(staff, MANAGER, f"Ответственный: Васильев Игорь Петрович → {MANAGER}")).to_have_count(1)
    expect(staff.get_by_label("Ответственный", exact=True)).to_have_value(
        str(_employee_id(app_db, "manager@demo.ru"))
    )
    expect(staff.get_by_role("button", name="Назначить на меня")).to_have_count(0)

    staff.get_by_label("Подразделение", exact=True).select_option(label="Служба заботы о клиентах")
    staff.get_by_label("Ответственный", exact=True).select_option(label=ADMIN)
    staff.get_by_role("button", name="Сохранить").click()
    expect(_history(staff, MANAGER, f"Ответственный: {MANAGER} → {ADMIN}")).to_have_count(1)

    admin = _employee_page(browser, app_server.url, "admin@demo.ru")
    admin.get_by_role("button", name=re.compile(r"^Уведомления")).click()  # not «Включить push-…»
    entry = admin.get_by_test_id("notification").filter(
        has_text=f"Вас назначили ответственным в чате витрины №{number}"
    )
    expect(entry).to_have_count(1)
    entry.click()
    admin.wait_for_url(f"**/support/chats/{chat_id}")
    expect(admin.get_by_label("Ответственный", exact=True)).to_have_value(
        str(_employee_id(app_db, "admin@demo.ru"))
    )
    staff.context.close()
    admin.context.close()


@pytest.mark.feature("C3", "A3")
def test_an_operator_reads_the_management_block_but_cannot_change_or_take(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    chat_id, _client = _demo_chat(app_db, 204)
    operator = _employee_page(browser, app_server.url, "operator@demo.ru")
    _open_card(operator, app_server.url, chat_id)
    for label in ("Помещение", "Тема", "Подразделение", "Ответственный", "Комментарий"):
        expect(operator.get_by_label(label, exact=True)).to_be_disabled()
    expect(operator.get_by_role("button", name="Сохранить")).to_have_count(0)
    expect(operator.get_by_role("button", name="Назначить на меня")).to_have_count(0)
    expect(operator.get_by_text("Менять данные чата может сотрудник с правом")).to_be_visible()
    operator.context.close()


@pytest.mark.feature("C2", "C3")
def test_on_a_phone_the_card_blocks_stack_without_a_sideways_scroll(
    app_server: RunningApp, browser: Browser, app_db
) -> None:
    chat_id, client = _demo_chat(app_db, 205)
    staff = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url(re.compile(r"/support/chats/?(\?.*)?$"))
    _open_card(staff, app_server.url, chat_id)
    expect(staff.get_by_test_id("card-client")).to_contain_text(client.full_name)
    staff.get_by_role("button", name="Сохранить").scroll_into_view_if_needed()
    expect(staff.get_by_role("button", name="Сохранить")).to_be_in_viewport()
    assert staff.evaluate("document.scrollingElement.scrollWidth") <= 390
    staff.context.close()
