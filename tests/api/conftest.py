"""The mobile API's tests drive the real app over HTTP (httpx), as the partner's app would.

One app for the package (its own data folder and frontend build, REFLEX_WEB_WORKDIR), with a
known token secret: the tests sign client tokens as the partner's backend does. Clients 150–220
of the demo have chats; each test takes its own (never the simulator picker's, ids ≤ 55).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from tests.fuzz.conftest import BackendApp

SECRET = "test-secret-of-the-partner-backend-0123456789"
OTHER_SECRET = "a-secret-nobody-shares-with-us-9876543210"
API = "/api/v1"


class ApiMixin:
    """What the tests need of a running app: tokens, an httpx client, the database file."""

    url: str
    env: dict[str, str]
    secret: str = SECRET

    def token(self, client_id: int, *, expires_in: float = 3600, secret: str = "") -> str:
        claims = {"sub": str(client_id), "exp": int(time.time() + expires_in)}
        return jwt.encode(claims, secret or self.secret, algorithm="HS256")

    def client(self, client_id: int | None = None, token: str | None = None) -> httpx.Client:
        headers = {}
        if token or client_id:
            headers["Authorization"] = f"Bearer {token or self.token(client_id or 0)}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def visitor(self) -> tuple[int, str]:
        answer = httpx.post(f"{self.url}{API}/visitors", timeout=30)
        assert answer.status_code == 201, answer.text
        return answer.json()["client_id"], answer.json()["token"]

    def db(self) -> sa.Engine:
        return sa.create_engine(self.env["DATABASE_URL"])

    def scalar(self, query: str, **params: Any) -> Any:
        engine = self.db()
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(query), params).scalar()
        finally:
            engine.dispose()

    def execute(self, query: str, **params: Any) -> None:
        engine = self.db()
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(query), params)
        finally:
            engine.dispose()


class ApiApp(ApiMixin, BackendApp):
    """The app's backend alone (no frontend build: the API needs none), with a known secret."""


@pytest.fixture(scope="session")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiApp]:
    data: Path = tmp_path_factory.mktemp("api")
    app = ApiApp(
        data,
        extra_env={
            "API_JWT_SECRET": SECRET,
            "API_RATE_LIMIT": "100000",  # the fuzzer's thousand requests come from one token
            "API_VISITORS_PER_HOUR": "100000",
        },
    )
    app.load_demo()
    app.start()
    yield app
    app.stop()
