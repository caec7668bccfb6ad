"""The app's own HTTP routes, called directly as an attacker would (M2)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ---- hostile input through the real server (issue 9) ----------------------------------------------
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options")


@pytest.mark.security
@pytest.mark.parametrize(
    "path", ["/files/%C2%B2", "/files/99999999999999999999", f"/files/{2**63}/thumb", "/files/%ED%A0%80"]
)
def test_odd_file_ids_are_404_never_500_on_the_real_server(app_server: RunningApp, path: str) -> None:
    response = httpx.get(f"{app_server.url}{path}", timeout=30)
    assert (response.status_code, response.text) == (404, "Не найдено")
    assert all(name in response.headers for name in SECURITY_HEADERS)


@pytest.mark.security
def test_random_paths_against_the_real_server_never_give_a_5xx(
    app_server: RunningApp, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []
    segment = st.one_of(
        st.text(max_size=30).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe="")),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["%C2%B2", "99999999999999999999", "%00", "%E2%80%AE", "..%2F..", "%FF"]),
    )
    with httpx.Client(base_url=app_server.url, timeout=30) as http:

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            prefix=st.sampled_from(
                [
                    "/files/",
                    "/support/chats/",
                    "/app/",
                    "/",
                    "/_upload/",
                    "/login/",
                    "/exports/",
                    "/auth/session?ticket=",
                ]
            ),
            segment=segment,
            suffix=st.sampled_from(["", "/thumb", "/", "?id=%FF"]),
        )
        def probe(prefix: str, segment: str, suffix: str) -> None:
            seen.append(prefix + segment + suffix)
            response = http.get(prefix + segment + suffix)
            assert response.status_code < 500, (prefix + segment + suffix, response.text[:200])
            # A path with a newline inside matches none of Reflex's mounts: the outermost Starlette
            # answers before any transformer, with a bare plain-text "Not Found", or with an empty
            # redirect to the path without its trailing slash (no page, no user data either way).
            bare = (response.status_code, response.text) in ((404, "Not Found"), (307, ""))
            assert bare or all(name in response.headers for name in SECURITY_HEADERS), (
                prefix + segment + suffix
            )

        probe()
    with capsys.disabled():
        print(f"\nreal-server routes fuzz: {len(seen)} inputs, 0 responses ≥ 500")
