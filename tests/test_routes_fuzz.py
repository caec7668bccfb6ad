"""The app's HTTP routes under random paths, ids, cookies and Unicode (issue 9).

Through the real HTTP stack (Starlette's TestClient over the routes, the security headers
and the upload guard as ``rx.App`` wraps them): no input gives a 5xx, a file reaches only
its owner, every answer carries the security headers, and the database is unchanged.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from chat_crm.export_route import export_app
from chat_crm.http_headers import SecurityHeaders
from chat_crm.models import Attachment, AuthSession, Channel, Message
from chat_crm.routes import CLIENT_COOKIE, EMPLOYEE_COOKIE, UploadSizeLimit, files_app, parse_id
from chat_crm.services import attachments, auth, messages
from chat_crm.session_routes import session_app
from tests import factories

pytestmark = pytest.mark.security

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
ODD_IDS = [
    "%C2%B2",  # «²»: str.isdigit() says yes, int() says no
    "%D9%A1",  # Arabic-Indic one
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    "-1",
    "0",
    "00000000000000000001",
    "1e5",
    "0x10",
    "%201",
    "1%0A",
    "%00",
    "%ED%A0%80",  # a lone surrogate, as UTF-8 would spell it
    "%E2%80%AE1",  # RTL override
    "..%2F..%2Fchat.db",
    "",
]


def _segment() -> st.SearchStrategy[str]:
    """A path segment, percent-encoded the way a browser sends any Unicode (surrogates too)."""
    as_text = st.text(max_size=40).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe=""))
    as_number = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    return st.one_of(st.sampled_from(ODD_IDS), as_text, as_number)


@pytest.fixture
def http(session: Session) -> TestClient:
    # Every route the app adds beside Reflex's, wrapped as ``rx.App(api_transformer=...)`` wraps them.
    routes = Starlette(routes=[*files_app.routes, *export_app.routes, *session_app.routes])
    return TestClient(SecurityHeaders(UploadSizeLimit(routes)), raise_server_exceptions=False)


def _counts(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(table)).one()
        for table in (Attachment, Message, AuthSession)
    )


def test_strict_ids_only_ascii_digits_in_a_signed_64_bit_range() -> None:
    assert [parse_id(raw) for raw in ("1", "42", str(2**63 - 1))] == [1, 42, 2**63 - 1]
    for raw in ("²", "١", "99999999999999999999", str(2**63), "0", "-1", " 1", "1\n", "+1", "1_0", ""):
        assert parse_id(raw) is None, raw


@pytest.mark.feature("M2")
@pytest.mark.parametrize("path", ["/files/%C2%B2", "/files/99999999999999999999", f"/files/{2**63}/thumb"])
def test_odd_file_ids_are_404_never_500(http: TestClient, path: str) -> None:
    response = http.get(path, cookies={CLIENT_COOKIE: "forged"})
    assert (response.status_code, response.text) == (404, "Не найдено")
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.feature("M2")
def test_random_paths_ids_cookies_and_unicode_never_give_a_5xx(
    session: Session, http: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client = factories.client(session)
    staged = attachments.stage_client_file(client_id=client.id, filename="фото.png", stream=io.BytesIO(PNG))
    messages.send_client_message(
        client_id=client.id, text="", client_msg_id="fuzz-000001", attachment_id=staged.id
    )
    owner = auth.start_client_session(client.id, Channel.ios)
    stranger = auth.start_client_session(factories.client(session, "Петров Пётр").id, Channel.android)
    before = _counts(session)
    cookies = st.sampled_from([{}, {CLIENT_COOKIE: owner}, {CLIENT_COOKIE: stranger}, {EMPLOYEE_COOKIE: "x"}])
    seen: list[int] = []

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        prefix=st.sampled_from(
            [
                "/files/",
                "/files/",
                "/",
                "/_upload/",
                "/files//",
                "/exports/",
                "/auth/session?ticket=",
                "/auth/logout?n=",
            ]
        ),
        segment=_segment(),
        suffix=st.sampled_from(["", "", "/thumb", "/", "/thumb/x", "?thumb=1&x=%FF"]),
        method=st.sampled_from(["GET", "GET", "HEAD", "POST", "DELETE"]),
        cookie=cookies,
    )
    def probe(prefix: str, segment: str, suffix: str, method: str, cookie: dict[str, str]) -> None:
        seen.append(1)
        http.cookies.clear()
        response = http.request(method, prefix + segment + suffix, cookies=cookie)
        assert response.status_code < 500, (method, prefix + segment + suffix, response.text[:200])
        assert response.headers["x-content-type-options"] == "nosniff"
        if prefix == "/files/" and response.status_code == 200:
            # Only the owner, only their file, only by its exact id.
            assert cookie.get(CLIENT_COOKIE) == owner
            assert parse_id(segment) == staged.id

    probe()
    with capsys.disabled():
        print(f"\nroutes fuzz: {len(seen)} inputs, 0 responses ≥ 500")
    assert _counts(session) == before
    own = http.get(f"/files/{staged.id}", cookies={CLIENT_COOKIE: owner})
    assert (own.status_code, own.content) == (200, PNG)
