"""The database under another writer's lock: a short wait, then «База данных занята» (issue 9)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, SQLModel

from chat_crm import config, db
from chat_crm.models import Channel
from chat_crm.services import auth
from tests import factories
from tests.conftest import use_database


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


def test_postgresql_waits_for_a_lock_no_longer_than_the_busy_timeout(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bound on PostgreSQL (lock_timeout): «База данных занята», not a hung worker."""
    import uuid

    import psycopg

    name = f"locks_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # the list's name search index
    monkeypatch.setenv("DB_BUSY_TIMEOUT_SECONDS", "0.3")
    use_database(url)
    try:
        SQLModel.metadata.create_all(db.get_engine())
        with psycopg.connect(url) as other:
            other.execute("LOCK TABLE auth_session IN ACCESS EXCLUSIVE MODE")  # held until rollback
            # In a thread, so a missing lock_timeout fails this test instead of hanging the run.
            with ThreadPoolExecutor(1) as pool:
                attempt = pool.submit(auth.start_client_session, None, Channel.ios)
                with pytest.raises(db.DatabaseBusy) as err:
                    attempt.result(timeout=20)
                other.rollback()
            assert err.value.message == "База данных занята. Повторите попытку."
        assert auth.resolve_client(auth.start_client_session(None, Channel.ios)) is not None
    finally:
        db.get_engine().dispose()
        monkeypatch.delenv("DATABASE_URL", raising=False)
        config.reload_settings()
        db._engine_for.cache_clear()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
