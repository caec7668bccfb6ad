"""Photos in Chromium (P7): an iPhone HEIC photo arrives as JPEG, the card shows a small
thumbnail, and a click opens the full picture."""

from __future__ import annotations

import io
import time

import pillow_heif
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import RunningApp, bubble, login, open_chat_of, open_client_app, send

pytestmark = [pytest.mark.e2e, pytest.mark.feature("P7")]

THUMB_BOUND = 440


def heic_photo(width: int = 1600, height: int = 1200) -> bytes:
    """What an iPhone sends: HEVC in a HEIF container."""
    image = Image.new("RGB", (width, height), (30, 90, 200))
    image.paste((240, 180, 20), (0, 0, width // 3, height))
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=50)
    return buffer.getvalue()


def _attach(page: Page, name: str, mime: str, data: bytes) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Прикрепить файл").click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def _natural_width(page: Page, image: Locator) -> int:
    """Once the browser has fetched and decoded the picture."""
    handle = image.element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)
    return int(image.evaluate("img => img.naturalWidth"))


def test_an_iphone_photo_shows_as_a_thumbnail_and_opens_full_size(
    app_server: RunningApp, browser: Browser, pair: tuple[Page, Page]
) -> None:
    staff, client = pair
    stamp = str(int(time.time()))
    name = open_client_app(client, app_server.url, 4)
    send(client, f"Здравствуйте {stamp}")
    expect(bubble(client, f"Здравствуйте {stamp}")).to_be_visible()

    # The client picks a HEIC photo: it is taken, and named as the JPEG it became.
    client.get_by_placeholder("Сообщение").fill(f"Фото балкона {stamp}")
    _attach(client, "IMG_0042.HEIC", "image/heic", heic_photo())
    expect(client.get_by_test_id("staged-file")).to_contain_text("IMG_0042.jpg")
    client.get_by_role("button", name="Отправить").click()
    own = bubble(client, f"Фото балкона {stamp}").get_by_test_id("message-image")
    expect(own).to_be_visible()
    assert 0 < _natural_width(client, own) <= THUMB_BOUND

    # The employee's card shows the small thumbnail, not the 1600-pixel photo.
    login(staff, app_server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    open_chat_of(staff, app_server.url, name)
    photo = bubble(staff, f"Фото балкона {stamp}").get_by_test_id("message-image")
    expect(photo).to_be_visible()
    thumb_src = photo.get_attribute("src") or ""
    assert thumb_src.endswith("/thumb")
    assert _natural_width(staff, photo) == THUMB_BOUND
    original_src = thumb_src.removesuffix("/thumb")

    # A click opens the whole picture in a dialog, with the original a click away.
    staff.get_by_role("button", name="Открыть изображение целиком").click()
    dialog = staff.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("IMG_0042.jpg")
    full = dialog.get_by_test_id("message-image-full")
    expect(full).to_have_attribute("src", original_src)
    assert _natural_width(staff, full) == 1600
    expect(dialog.get_by_role("link", name="Открыть оригинал")).to_have_attribute("href", original_src)
    dialog.get_by_role("button", name="Закрыть").click()
    expect(dialog).to_be_hidden()

    # The thumbnail is guarded like the file: its chat only, as JPEG, never sniffed.
    answer = staff.request.get(f"{app_server.url}{thumb_src}")
    assert (answer.status, answer.headers["content-type"]) == (200, "image/jpeg")
    assert answer.headers["x-content-type-options"] == "nosniff"
    stranger = browser.new_context().new_page()
    open_client_app(stranger, app_server.url, 5)
    assert stranger.request.get(f"{app_server.url}{thumb_src}").status == 404
    assert stranger.request.get(f"{app_server.url}{original_src}").status == 404
    stranger.context.close()
