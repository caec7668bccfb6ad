"""Authorization for EVERY operation of the contract, generated from the OpenAPI route list:
no token, an expired one or a foreign signature → 401; another client's ids → 404.

A new route without an entry in ``BODIES`` fails here, so none can skip the check.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.api.conftest import API, OTHER_SECRET, ApiApp

pytestmark = pytest.mark.feature("P15")

OWNER, STRANGER = 150, 151
PUBLIC = {("POST", f"{API}/visitors")}  # the anonymous visitor's token issuer
# A valid body for each operation that takes one; ids are the owner's (filled in below).
BODIES: dict[tuple[str, str], object] = {
    ("POST", f"{API}/chat/messages"): {"client_msg_id": "authz-000000", "text": "Проверка"},
    ("PATCH", f"{API}/chat/messages/{{message_id}}"): {"text": "Чужое"},
    ("POST", f"{API}/chat/open"): {},
    ("POST", f"{API}/chat/bot/unit"): {"unit_id": 1},
    ("POST", f"{API}/chat/bot/other"): {"choice": "other"},
    ("POST", f"{API}/chat/bot/topic"): {"topic": "booking"},
    ("POST", f"{API}/push/webpush"): {
        "endpoint": "https://push.example/x",
        "keys": {"p256dh": "a", "auth": "b"},
    },
    ("POST", f"{API}/push/device"): {"platform": "ios", "token": "device-token-0001"},
    ("POST", f"{API}/chat/files"): "multipart",
}


def _operations(api_app: ApiApp) -> list[tuple[str, str, dict]]:
    schema = httpx.get(f"{api_app.url}{API}/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if (method.upper(), path) not in PUBLIC
    ]


@pytest.fixture(scope="module")
def owned(api_app: ApiApp) -> dict[str, int]:
    """The owner's own message and file: the ids another client must not reach."""
    with api_app.client(OWNER) as http:
        staged = http.post(f"{API}/chat/files", files={"file": ("a.txt", b"owner's file", "text/plain")})
        sent = http.post(
            f"{API}/chat/messages",
            json={
                "client_msg_id": uuid.uuid4().hex,
                "text": "Только мое",
                "attachment_id": staged.json()["id"],
            },
        )
    assert sent.status_code == 201, sent.text
    return {"message_id": sent.json()["id"], "file_id": staged.json()["id"]}


def _request(http: httpx.Client, method: str, path: str, ids: dict[str, int]) -> httpx.Response:
    url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
    key = (method, path)
    needs_body = method in ("POST", "PATCH", "PUT")
    if needs_body and key not in BODIES and not path.endswith(("/read", "/back")):
        pytest.fail(f"{method} {path}: add a valid body to BODIES, so its authorization is checked")
    body = BODIES.get(key)
    if body == "multipart":
        return http.request(method, url, files={"file": ("b.txt", b"stranger", "text/plain")})
    if path.endswith("/events"):
        return http.get(url, params={"timeout": 1})
    return http.request(method, url, json=body if needs_body else None)


def test_every_operation_refuses_a_missing_expired_or_foreign_token(api_app: ApiApp, owned) -> None:
    tokens = {
        "none": None,
        "expired": api_app.token(OWNER, expires_in=-60),
        "foreign": api_app.token(OWNER, secret=OTHER_SECRET),
        "garbage": "not-a-jwt",
    }
    codes = {
        "none": "unauthorized",
        "expired": "token_expired",
        "foreign": "token_invalid",
        "garbage": "token_invalid",
    }
    checked = 0
    for method, path, _op in _operations(api_app):
        for name, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with httpx.Client(base_url=api_app.url, headers=headers, timeout=30) as http:
                answer = _request(http, method, path, owned)
            assert answer.status_code == 401, (method, path, name, answer.text)
            assert answer.json()["code"] == codes[name], (method, path, name)
            assert answer.json()["message"]
            checked += 1
    assert checked >= 4 * 17


def test_another_clients_ids_are_not_found_on_every_operation_with_an_id(api_app: ApiApp, owned) -> None:
    with_ids = [(m, p) for m, p, _ in _operations(api_app) if "{" in p]
    assert len(with_ids) >= 5
    with api_app.client(STRANGER) as http:
        for method, path in with_ids:
            answer = _request(http, method, path, owned)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json() == {"code": "not_found", "message": "Не найдено", "field": ""}
        # Routes without an id answer with the stranger's own chat, never the owner's.
        for method, path, _ in _operations(api_app):
            if "{" not in path and method == "GET" and not path.endswith("/events"):
                assert "Только мое" not in http.get(path).text, path
    with api_app.client(OWNER) as http:  # and the owner still has both
        assert http.get(f"{API}/chat/messages/{owned['message_id']}").status_code == 200
        assert http.get(f"{API}/files/{owned['file_id']}").status_code == 200
