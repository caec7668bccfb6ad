"""Uploads under hostile use, in Chromium (issue 9): a file picked and never sent expires and the
app's own background sweep removes it; past the upload quota the user reads why, in Russian."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import RunningApp, open_client_app

pytestmark = [pytest.mark.e2e, pytest.mark.security, pytest.mark.feature("M2")]

PDF = b"%PDF-1.7\n" + b"\x00" * 2048


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """Staged files live 10 s and the sweep looks every second; one file per hour per uploader."""
    app = RunningApp(
        tmp_path_factory.mktemp("uploads"),
        {"STAGED_UPLOAD_TTL_SECONDS": "10", "STAGED_SWEEP_SECONDS": "1", "UPLOAD_QUOTA_FILES": "1"},
    )
    app.load_demo()
    app.start()
    yield app
    app.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def _attach(page: Page, name: str) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Прикрепить файл").click()
    chooser.value.set_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})


def _attachments(app: RunningApp) -> list[tuple[int, str]]:
    path = app.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, storage_key FROM attachment").fetchall()


def test_past_the_quota_the_client_reads_why_in_russian(strict_app: RunningApp, page: Page) -> None:
    open_client_app(page, strict_app.url, "Неавторизованный посетитель")
    _attach(page, "договор.pdf")
    expect(page.get_by_test_id("staged-file")).to_contain_text("договор.pdf")
    _attach(page, "договор2.pdf")
    expect(page.get_by_text("Лимит загрузки файлов исчерпан: попробуйте снова через 60 мин")).to_be_visible()


def test_a_file_never_sent_is_swept_by_the_app_and_a_late_send_says_so(
    strict_app: RunningApp, page: Page
) -> None:
    open_client_app(page, strict_app.url, "Неавторизованный посетитель")
    page.get_by_placeholder("Сообщение").fill("Посмотрите договор")
    _attach(page, "акт.pdf")
    expect(page.get_by_test_id("staged-file")).to_contain_text("акт.pdf")
    staged = set(_attachments(strict_app))
    assert staged
    folder = Path(strict_app.env["CHAT_DATA_DIR"]) / "attachments"
    deadline = time.monotonic() + 90  # a wait for the sweep, not a measurement
    while staged & set(_attachments(strict_app)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not staged & set(_attachments(strict_app))
    assert not any((folder / key).exists() for _, key in staged)
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_text("Файл больше недоступен: прикрепите его заново")).to_be_visible()
    expect(page.get_by_placeholder("Сообщение")).to_have_value("Посмотрите договор")
