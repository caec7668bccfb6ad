"""Fixtures: a fresh SQLite database per test, and real Redis/PostgreSQL when asked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlmodel import Session, SQLModel

import chat_crm.models  # noqa: F401
from chat_crm import config, db, realtime
from tests import servers


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "feature(*ids): the FEATURES.md ids a test proves")


def use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    config.reload_settings()
    db._engine_for.cache_clear()


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real SQLite file with the whole schema, fresh for each test."""
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'test.db'}"
    use_database(url)
    SQLModel.metadata.create_all(db.get_engine())
    realtime.reset_bus()
    yield url
    db.get_engine().dispose()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config.reload_settings()
    db._engine_for.cache_clear()
    realtime.reset_bus()


@pytest.fixture
def session(sqlite_db: str) -> Iterator[Session]:
    with Session(db.get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every event the services publish, in order."""
    events: list[dict] = []
    monkeypatch.setattr(realtime, "publish", lambda event: events.append(json.loads(event.to_json())))
    return events


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with servers.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with servers.postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (Playwright's sync API allows one instance per thread).
    Not per session: while it runs, the main thread counts as inside Playwright's event loop,
    and the later service tests' ``asyncio.run`` (e.g. the SMTP client) would be refused."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def smtp(sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[servers.SmtpServer]:
    """A real aiosmtpd on loopback, and the app's SMTP settings pointing at it (issue 11)."""
    with servers.smtp_server() as server:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(server.port))
        monkeypatch.setenv("SMTP_SENDER", "chat@demo.ru")
        config.reload_settings()
        yield server
    monkeypatch.delenv("SMTP_HOST")
    config.reload_settings()


@pytest.fixture
def push_endpoint(sqlite_db: str) -> Iterator[servers.PushService]:
    """A loopback Web Push service that checks the app's VAPID signature (issue 11)."""
    from chat_crm.services import webpush

    with servers.push_service(webpush.public_key()) as service:
        yield service
