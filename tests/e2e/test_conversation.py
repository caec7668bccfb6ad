"""The whole conversation in Chromium: files, deep links, emoji, voice, edit/delete,
read marks, the resend outbox and closing a dialog (M2–M11)."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session, create_engine, select

from chat_crm.models import AuthorKind, Chat, Client, Message
from tests.e2e.conftest import (
    RunningApp,
    bubble,
    login,
    open_chat_of,
    open_client_app,
    send,
    start_client_app,
)

pytestmark = pytest.mark.e2e


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    """A real PNG, so the thumbnail has something to draw."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _attach(page: Page, name: str, mime: str, data: bytes | Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Прикрепить файл").click()
    if isinstance(data, Path):
        chooser.value.set_files(data)  # a path: the browser reads it from disk, no copy over CDP
    else:
        chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def _context_menu(page: Page, bubble: Locator) -> Locator:
    bubble.click(button="right")
    return page.get_by_role("menu")


def _start(app_server: RunningApp, staff: Page, client: Page, picker_index: int, first: str) -> str:
    """The client writes ``first``; the manager opens that chat. Returns the client's name."""
    name = open_client_app(client, app_server.url, picker_index)
    send(client, first)
    expect(bubble(client, first)).to_be_visible()
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    open_chat_of(staff, app_server.url, name)
    expect(bubble(staff, first)).to_be_visible()
    return name


@pytest.mark.feature("M2")
def test_files_go_both_ways_are_shown_and_reach_only_their_chat(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page], tmp_path: Path
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    name = _start(app_server, staff, client, 3, f"Здравствуйте {stamp}")

    # The client sends a photo with a caption; the employee sees a thumbnail that loads.
    client.get_by_placeholder("Сообщение").fill(f"Фото трещины {stamp}")
    _attach(client, "трещина.png", "image/png", png_bytes())
    expect(client.get_by_test_id("staged-file")).to_contain_text("трещина.png")
    client.get_by_role("button", name="Отправить").click()
    photo = bubble(staff, f"Фото трещины {stamp}").get_by_test_id("message-image")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 40  # served, decoded, drawn
    image_url = photo.get_attribute("src") or ""

    # The employee answers with a PDF: the client sees its name and size and downloads it.
    _attach(staff, "Акт осмотра.pdf", "application/pdf", PDF)
    expect(staff.get_by_test_id("staged-file")).to_contain_text("Акт осмотра.pdf")
    staff.get_by_role("button", name="Отправить").click()
    document = client.get_by_test_id("message-file").filter(has_text="Акт осмотра.pdf")
    expect(document).to_contain_text(f"{len(PDF)} Б")
    with client.expect_download() as download:
        document.click()
    assert download.value.suggested_filename == "Акт осмотра.pdf"
    assert open(download.value.path(), "rb").read() == PDF

    # Another client, and an anonymous browser, get nothing.
    stranger = browser.new_context().new_page()
    open_client_app(stranger, app_server.url, 5)
    assert stranger.request.get(f"{app_server.url}{image_url}").status == 404
    anonymous = browser.new_context()
    assert anonymous.request.get(f"{app_server.url}{image_url}").status == 404
    anonymous.close()
    assert client.request.get(f"{app_server.url}{image_url}").status == 200
    stranger.context.close()

    # A program renamed .jpg is refused in Russian; what was typed stays.
    client.get_by_placeholder("Сообщение").fill(f"Вот ещё {stamp}")
    _attach(client, "фото.jpg", "image/jpeg", b"MZ\x90\x00" + b"\x00" * 2000)
    expect(client.get_by_role("alert")).to_have_text(
        "Такой тип файла нельзя отправить: подойдут изображения, PDF, документы Office и текст"
    )
    expect(client.get_by_placeholder("Сообщение")).to_have_value(f"Вот ещё {stamp}")
    expect(client.get_by_test_id("staged-file")).to_have_count(0)

    # 40 MB + 1 byte: refused with the limit named; the text still stays.
    big = tmp_path / "большое.png"
    with big.open("wb") as fh:
        fh.write(png_bytes())
        fh.truncate(40 * 1024 * 1024 + 1)
    _attach(client, big.name, "image/png", big)
    expect(client.get_by_role("alert")).to_have_text("Файл больше 40 МБ: выберите файл поменьше")
    expect(client.get_by_placeholder("Сообщение")).to_have_value(f"Вот ещё {stamp}")
    assert name


@pytest.mark.feature("M3", "M4")
def test_emoji_and_voice_input_in_the_crm_composer(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    _start(app_server, staff, client, 6, f"Вопрос {stamp}")
    staff.get_by_placeholder("Сообщение").fill("Добро пожаловать ")
    staff.get_by_role("button", name="Эмодзи").click()
    staff.get_by_test_id("emoji-picker").get_by_role("button", name="🔑").click()
    expect(staff.get_by_placeholder("Сообщение")).to_have_value("Добро пожаловать 🔑")
    staff.keyboard.press("Escape")
    staff.get_by_role("button", name="Отправить").click()
    expect(bubble(client, "Добро пожаловать 🔑")).to_be_visible()

    # Chromium has speech recognition: the microphone is offered.
    expect(staff.get_by_role("button", name="Голосовой ввод", exact=True)).to_be_enabled()
    # A browser without it gets a button that says so instead.
    bare = browser.new_context()
    bare.add_init_script("delete window.webkitSpeechRecognition; delete window.SpeechRecognition;")
    page = bare.new_page()
    login(page, app_server.url, "manager@demo.ru")
    page.wait_for_url("**/support/chats")
    page.goto(staff.url)
    expect(page.get_by_role("button", name="Голосовой ввод недоступен в этом браузере")).to_be_disabled()
    bare.close()


@pytest.mark.feature("M4")
def test_dictated_text_lands_in_the_message_field(app_server: RunningApp, browser: Browser) -> None:
    """The speech engine itself needs a microphone and a network this machine has not got,
    so the browser's recognizer is replaced by one that hears a fixed phrase."""
    context = browser.new_context()
    context.add_init_script(
        """window.SpeechRecognition = window.webkitSpeechRecognition = class {
             start() { setTimeout(() => this.onresult({results: [[{transcript: "ключи готовы"}]]}), 800); }
           };"""
    )
    page = context.new_page()
    login(page, app_server.url, "manager@demo.ru")
    page.wait_for_url("**/support/chats")
    page.locator("[data-testid=chat-row]").first.get_by_role("link").first.click()
    page.wait_for_url("**/support/chats/*")
    page.get_by_placeholder("Сообщение").fill("Добрый день,")
    page.get_by_role("button", name="Голосовой ввод", exact=True).click()
    expect(page.get_by_placeholder("Сообщение")).to_have_value("Добрый день, ключи готовы")
    context.close()


@pytest.mark.feature("M5", "X1")
def test_deep_links_render_as_cards_and_open_real_screens(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    _start(app_server, staff, client, 7, f"Какие есть квартиры? {stamp}")

    def send_link(kind: str, project: str | None, text: str) -> None:
        staff.get_by_role("button", name="Переход").click()
        staff.get_by_label("Куда направить клиента").select_option(label=kind)
        if project is not None:
            staff.get_by_role("button", name="Прикрепить", exact=True).click()
            expect(staff.get_by_role("alert")).to_have_text("Выберите проект для перехода")
            staff.get_by_label("Проект").select_option(label=project)
        staff.get_by_role("button", name="Прикрепить", exact=True).click()
        expect(staff.get_by_test_id("attached-link")).to_contain_text(kind)
        staff.get_by_placeholder("Сообщение").fill(text)
        staff.get_by_role("button", name="Отправить").click()
        expect(staff.get_by_test_id("attached-link")).to_have_count(0)

    send_link("Список готовых помещений проекта", "ЖК «Речной квартал»", f"Готовые {stamp}")
    card = bubble(client, f"Готовые {stamp}").get_by_test_id("deep-link")
    expect(card).to_contain_text("ЖК «Речной квартал»")
    expect(card.locator("img")).to_have_count(0)  # plain, no picture (M5)
    card.click()
    screen = client.get_by_test_id("link-screen")
    expect(screen.get_by_role("heading", name="Список готовых помещений проекта")).to_be_visible()
    expect(screen.get_by_test_id("unit-line").first).to_contain_text("ЖК «Речной квартал», Корпус 1")
    expect(screen.get_by_test_id("unit-line").filter(has_text="Корпус 2")).to_have_count(0)
    client.get_by_role("button", name="← Назад").click()

    send_link("Детальная карточка проекта", "ЖК «Северный парк»", f"О проекте {stamp}")
    card = bubble(client, f"О проекте {stamp}").get_by_test_id("deep-link")
    expect(card.locator("img")).to_have_attribute("src", "/covers/project-1.svg")
    card.click()
    expect(client.get_by_text("Квартал бизнес-класса у лесопарка")).to_be_visible()
    client.get_by_role("button", name="← Назад").click()

    send_link("Калькулятор ипотеки", None, f"Посчитайте {stamp}")
    card = bubble(client, f"Посчитайте {stamp}").get_by_test_id("deep-link")
    expect(card).to_contain_text("Подберите ипотечное предложение")
    expect(card.locator("img")).to_have_attribute("src", "/deeplinks/mortgage.svg")
    card.click()
    client.get_by_label("Стоимость, ₽").fill("10000000")
    client.get_by_label("Первоначальный взнос, ₽").fill("2000000")
    client.get_by_label("Срок, лет").fill("20")
    client.get_by_label("Ставка, %").fill("0")
    client.get_by_role("button", name="Рассчитать").click()
    expect(client.get_by_test_id("calc-result")).to_have_text("33 333 ₽")
    client.get_by_label("Первоначальный взнос, ₽").fill("20000000")
    client.get_by_role("button", name="Рассчитать").click()
    expect(client.get_by_role("alert")).to_contain_text("взнос меньше стоимости")


@pytest.mark.feature("M6", "M7", "M11", "C4")
def test_edits_deletes_and_read_marks_reach_the_other_side_live(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    _start(app_server, staff, client, 8, f"Первое {stamp}")
    # The employee has the chat open: the client's message is read, live (M11).
    expect(bubble(client, f"Первое {stamp}").get_by_test_id("read-mark")).to_be_visible()
    # ... so the client may only copy it now (M7).
    menu = _context_menu(client, bubble(client, f"Первое {stamp}"))
    expect(menu.get_by_role("menuitem", name="Копировать")).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Редактировать")).to_have_count(0)
    client.keyboard.press("Escape")

    # The employee edits and deletes its own message; the client sees both live (M6).
    send(staff, f"Ключи в понедельник {stamp}")
    expect(bubble(client, f"Ключи в понедельник {stamp}")).to_be_visible()
    _context_menu(staff, bubble(staff, f"Ключи в понедельник {stamp}")).get_by_role(
        "menuitem", name="Редактировать"
    ).click()
    expect(staff.get_by_text("Редактирование сообщения")).to_be_visible()
    staff.get_by_placeholder("Сообщение").fill(f"Ключи во вторник {stamp}")
    # The composer's «Сохранить», not the one of «Управление» on the card.
    staff.locator("form[data-chat-composer]").get_by_role("button", name="Сохранить").click()
    expect(bubble(client, f"Ключи во вторник {stamp}")).to_contain_text("изменено")
    _context_menu(staff, bubble(staff, f"Ключи во вторник {stamp}")).get_by_role(
        "menuitem", name="Удалить"
    ).click()
    expect(bubble(client, f"Ключи во вторник {stamp}")).to_have_count(0)
    expect(client.locator("[data-testid=message]").filter(has_text="Сообщение удалено")).to_have_count(1)

    # The client edits a message nobody has read yet: staff leaves the chat first.
    staff.goto(f"{app_server.url}/support/chats")
    send(client, f"Опечатка {stamp}")
    menu = _context_menu(client, bubble(client, f"Опечатка {stamp}"))
    menu.get_by_role("menuitem", name="Редактировать").click()
    client.get_by_placeholder("Сообщение").fill(f"Исправлено {stamp}")
    client.get_by_role("button", name="Сохранить").click()
    expect(bubble(client, f"Исправлено {stamp}")).to_be_visible()
    staff.go_back()
    expect(bubble(staff, f"Исправлено {stamp}")).to_be_visible()
    history = staff.get_by_test_id("history-entry").filter(has_text=f"Опечатка {stamp}")
    expect(history).to_contain_text(f"Сообщение: Опечатка {stamp} → Исправлено {stamp}")
    original = staff.get_by_test_id("history-entry").filter(has_text=f"Ключи в понедельник {stamp}")
    expect(original).to_contain_text(f"Ключи в понедельник {stamp} → Ключи во вторник {stamp}")


@pytest.mark.feature("M8")
def test_a_send_without_network_is_kept_and_resent_once(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    _start(app_server, staff, client, 9, f"Связь есть {stamp}")
    client.get_by_label("Нет сети").click()
    send(client, f"Без сети {stamp}")
    unsent = client.get_by_test_id("unsent-message").filter(has_text=f"Без сети {stamp}")
    expect(unsent).to_contain_text("Не отправлено")
    expect(unsent.get_by_role("button", name="Копировать")).to_be_visible()
    expect(unsent.get_by_role("button", name="Удалить")).to_be_visible()
    unsent.get_by_role("button", name="Повторить").click()  # still no network
    expect(client.get_by_role("alert")).to_have_text("Нет сети: сообщение не отправлено")
    expect(unsent).to_be_visible()
    client.reload()  # the outbox survives a reload of the app
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    expect(unsent).to_be_visible()

    client.get_by_label("Нет сети").click()
    unsent.get_by_role("button", name="Повторить").click()
    expect(unsent).to_have_count(0)
    expect(bubble(client, f"Без сети {stamp}")).to_have_count(1)
    expect(bubble(staff, f"Без сети {stamp}")).to_have_count(1)

    # «Удалить» drops an unsent message without sending it.
    client.get_by_label("Нет сети").click()
    send(client, f"Передумал {stamp}")
    client.get_by_test_id("unsent-message").filter(has_text=f"Передумал {stamp}").get_by_role(
        "button", name="Удалить"
    ).click()
    expect(client.get_by_test_id("unsent-message")).to_have_count(0)
    staff.reload()
    expect(bubble(staff, f"Передумал {stamp}")).to_have_count(0)


@pytest.mark.feature("M9", "M10", "B8")
def test_closing_a_dialog_tells_the_client_and_the_next_message_opens_a_new_one(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    _start(app_server, staff, client, 10, f"Первый вопрос {stamp}")
    staff.get_by_role("button", name="Завершить диалог").click()
    staff.get_by_role("menuitem", name="Вопрос решен").click()
    # The demo's «Чат-бот» texts (S10), in the name of the chat's responsible.
    responsible = staff.get_by_text("Ответственный", exact=True).locator("xpath=..").inner_text()
    closing = bubble(client, "Рады, что смогли помочь! Если появятся вопросы — пишите.")
    expect(closing).to_contain_text(responsible.split("\n")[-1].strip())
    expect(staff.get_by_role("button", name="Завершить диалог")).to_have_count(0)
    expect(
        staff.get_by_test_id("history-entry").filter(has_text="Диалог: Открыт → Завершен")
    ).to_contain_text("Вопрос решен")

    send(client, f"Ещё вопрос {stamp}")
    expect(bubble(staff, f"Ещё вопрос {stamp}")).to_be_visible()
    expect(staff.get_by_role("button", name="Завершить диалог")).to_be_visible()  # a new dialog
    expect(bubble(client, f"Первый вопрос {stamp}")).to_be_visible()  # the same chat, all of it
    staff.get_by_role("button", name="Завершить диалог").click()
    staff.get_by_role("menuitem", name="Пользователь не ответил").click()
    expect(bubble(client, "Мы не получили ответа и закрываем диалог.")).to_be_visible()


@pytest.mark.feature("M10")
def test_the_whole_history_stays_reachable(app_server: RunningApp, browser: Browser) -> None:
    """A long chat opens on its newest messages; «Показать предыдущие сообщения» goes back."""
    client = browser.new_context().new_page()
    name = start_client_app(client, app_server.url, 39)  # a client who owns nothing and has no chat
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    send(client, "Самое первое сообщение")
    expect(bubble(client, "Самое первое сообщение")).to_be_visible()
    engine = create_engine(app_server.env["DATABASE_URL"])
    with Session(engine) as session:
        chat = session.exec(select(Chat).join(Client).where(Client.full_name == name)).one()
        session.add_all(
            Message(chat_id=chat.id or 0, author_kind=AuthorKind.client, text=f"Старое {n:02d}")
            for n in range(60)
        )
        session.commit()
    engine.dispose()
    client.get_by_role("button", name="← Назад").click()
    client.get_by_role("button", name="Связаться с нами").click()
    client.get_by_role("button", name="Написать в чат").click()
    expect(bubble(client, "Старое 59")).to_be_visible()
    expect(bubble(client, "Самое первое сообщение")).to_have_count(0)
    client.get_by_role("button", name="Показать предыдущие сообщения").click()
    expect(bubble(client, "Самое первое сообщение")).to_be_visible()
    expect(client.get_by_role("button", name="Показать предыдущие сообщения")).to_have_count(0)
    client.context.close()
