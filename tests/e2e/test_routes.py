"""The app's own HTTP routes, called directly as an attacker would (M2)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import RunningApp

pytestmark = pytest.mark.e2e


@pytest.mark.feature("M2")
def test_an_oversized_upload_is_refused_before_parsing(app_server: RunningApp) -> None:
    body = b"\x00" * (41 * 1024 * 1024)
    response = httpx.post(
        f"{app_server.url}/_upload",
        content=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Reflex-Client-Token": "any",
            "Reflex-Event-Handler": "any",
        },
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "Файл больше 40 МБ: выберите файл поменьше"


@pytest.mark.feature("M2")
def test_an_upload_without_a_declared_length_is_refused(app_server: RunningApp) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b"--x\r\n"

    response = httpx.post(
        f"{app_server.url}/_upload",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=30,
    )
    assert response.status_code == 411


@pytest.mark.feature("M2")
@pytest.mark.parametrize("path", ["/files/1", "/files/999999", "/files/abc", "/files/1?x=../../chat.db"])
def test_files_are_not_served_to_a_stranger(app_server: RunningApp, path: str) -> None:
    response = httpx.get(f"{app_server.url}{path}", cookies={"chat_crm_app": "forged"}, timeout=30)
    assert response.status_code == 404
    assert response.text == "Не найдено"
