"""The database under another writer's lock: a short wait, then «База данных занята» (issue 9)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from chat_crm import config, db
from chat_crm.models import Channel
from chat_crm.services import auth
from tests import factories


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch, sqlite_db: str) -> Iterator[str]:
    monkeypatch.setenv("DB_BUSY_TIMEOUT_SECONDS", "0.3")
    config.reload_settings()
    db._engine_for.cache_clear()
    yield sqlite_db
    db.get_engine().dispose()


def _outside_writer(url: str) -> sqlite3.Connection:
    conn = sqlite3.connect(url.split("///", 1)[1], timeout=5, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # another process's write lock: nobody else may write
    return conn


def test_a_write_under_an_outside_lock_is_refused_in_russian(
    short_busy_timeout: str, session: Session
) -> None:
    factories.client(session)
    lock = _outside_writer(short_busy_timeout)
    try:
        with pytest.raises(db.DatabaseBusy) as err:
            auth.start_client_session(None, Channel.ios)
        assert err.value.message == "База данных занята. Повторите попытку."
        # readers go on (WAL): a session check still answers
        assert auth.resolve_client("no-such-token") is None
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert auth.resolve_client(auth.start_client_session(None, Channel.ios)) is not None  # and then it works


def test_a_busy_database_is_a_service_error_every_screen_already_shows() -> None:
    from chat_crm.services.errors import ServiceError

    assert issubclass(db.DatabaseBusy, ServiceError)
