"""«Поддержка» → «Отчеты» (P14) in Chromium: the administrator sees the charts and their
tables, a wider range and a filter change the figures, a table's .xlsx holds that table;
the manager (no «Поддержка: Отчеты») is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import RunningApp, login

MOSCOW = ZoneInfo("Europe/Moscow")


def _rows(section: Locator) -> list[list[str]]:
    section.locator("table tbody tr").first.wait_for()
    return [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in section.locator("table tbody tr").all()
    ]


def _number(text: str) -> int:
    return int(text.replace("\xa0", "").replace(" ", "").replace("\u202f", ""))


def _new_chats(page: Page) -> int:
    return sum(_number(row[1]) for row in _rows(page.get_by_test_id("report-volume")))


@pytest.mark.feature("P14")
def test_the_admin_reads_filters_and_exports_the_reports(
    app_server: RunningApp, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, app_server.url, "admin@demo.ru")
    page.get_by_role("link", name="Отчеты").click()
    page.wait_for_url("**/support/reports**")
    # The first look computes every report: give a busy shared machine time.
    expect(page.get_by_role("heading", name="Новые чаты и сообщения по дням")).to_be_visible(timeout=30_000)
    volume = page.get_by_test_id("report-volume")
    expect(volume.locator("svg.recharts-surface[role=application]")).to_be_visible()
    expect(
        page.get_by_test_id("report-load").locator("svg.recharts-surface[role=application]")
    ).to_be_visible()
    expect(volume.locator(".recharts-bar-rectangle").first).to_be_visible()  # bars drawn from figures
    last_month = _new_chats(page)
    assert len(_rows(volume)) == 30  # the last 30 days, one row each
    load = _rows(page.get_by_test_id("report-load"))
    assert load and all(_number(row[1]) > 0 for row in load)

    # A wider range: the demo's chats go back 180 days.
    today = datetime.now(MOSCOW).date()
    page.get_by_label("Период с").fill((today - timedelta(days=199)).isoformat())
    page.get_by_role("button", name="Показать").click()
    expect(volume.locator("table tbody tr")).to_have_count(200)
    assert _new_chats(page) > last_month
    assert "from=" in page.url
    topics = page.get_by_test_id("report-topic")
    assert len(_rows(topics)) > 1

    # The list's filter «Тема»: only «Сделка» is left in the breakdown by topic.
    page.get_by_label("Тема").select_option(label="Сделка")
    page.get_by_role("button", name="Показать").click()
    expect(topics.locator("table tbody tr")).to_have_count(1)
    shown = _rows(topics)
    assert shown[0][0] == "Сделка" and "topic=deal" in page.url

    # «Выгрузить в Excel»: the file's cells are the table's.
    with page.expect_download() as info:
        topics.get_by_role("button", name="Выгрузить в Excel").click()
    path = tmp_path / "topics.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert list(rows[0]) == ["Тема", "Диалогов"]
    assert [[r[0], r[1]] for r in rows[1:]] == [[name, _number(n)] for name, n in shown]
    context.close()


@pytest.mark.feature("P14")
def test_the_manager_is_refused(app_server: RunningApp, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    login(page, app_server.url, "manager@demo.ru")
    expect(page.get_by_role("link", name="Чат")).to_be_visible()
    expect(page.get_by_role("link", name="Отчеты")).to_have_count(0)
    page.goto(f"{app_server.url}/support/reports")
    expect(page.get_by_test_id("page-error")).to_have_text("Недостаточно прав")
    expect(page.locator("svg.recharts-surface")).to_have_count(0)
    context.close()
