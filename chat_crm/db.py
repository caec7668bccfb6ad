"""The database engine and the unit-of-work that services use.

Only services/ open sessions. ``unit_of_work`` commits, then publishes the
events the work queued, so no screen ever hears about a rolled-back row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, create_engine

from chat_crm.config import get_settings
from chat_crm.realtime import ChatEvent
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t


class DatabaseBusy(ServiceError):
    """Another writer held the database longer than the busy timeout: «Повторите попытку».

    A ServiceError, so every screen shows it where it shows a refused action, and keeps
    what the user typed.
    """


def _is_busy(err: sa.exc.OperationalError) -> bool:
    text = str(err.orig).lower()
    # SQLite's busy timeout, or PostgreSQL's lock_timeout (SQLSTATE 55P03).
    return any(
        sign in text for sign in ("database is locked", "database table is locked", "busy", "lock timeout")
    )


@lru_cache(maxsize=4)
def _engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A short wait on another writer's lock: the user hears «База данных занята» after a
        # few seconds instead of a worker thread hanging for half a minute.
        timeout = get_settings().db_busy_timeout_seconds
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets the screens read while a worker writes; FKs are off by default.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # The same bound on waiting for another writer's row lock as SQLite's busy timeout.
    lock_ms = int(get_settings().db_busy_timeout_seconds * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"options": f"-c lock_timeout={lock_ms}"},
    )


def get_engine() -> sa.Engine:
    return _engine_for(get_settings().database_url)


class UnitOfWork:
    """A session plus the events to publish once it commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: list[ChatEvent] = []

    def announce(self, event: ChatEvent) -> None:
        self.events.append(event)


def _journal(work: UnitOfWork) -> None:
    """The mobile API's event journal (P15), in the same transaction as the change it records:
    an app that reconnects reads what it missed from here (``api_event``), exactly once."""
    from chat_crm.models.api import ApiEvent
    from chat_crm.realtime import JOURNALED

    rows = [
        ApiEvent(chat_id=e.chat_id, topic=e.topic.value, message_id=e.message_id, side=e.side)
        for e in work.events
        if e.topic in JOURNALED and e.chat_id
    ]
    if not rows:
        return
    if work.session.get_bind().dialect.name == "postgresql":
        # A chat's journal ids must become visible in id order: draw them under the chat's row
        # lock (a message or an edit holds it already; a read mark takes it here). SQLite runs
        # one writer at a time, so its ids commit in order anyway.
        from chat_crm.models import Chat

        for chat_id in sorted({r.chat_id for r in rows}):
            work.session.execute(sa.select(Chat.id).where(Chat.id == chat_id).with_for_update())
    work.session.add_all(rows)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    from chat_crm import realtime

    with Session(get_engine(), expire_on_commit=False) as session:
        work = UnitOfWork(session)
        try:
            yield work
            _journal(work)
            session.commit()
        except sa.exc.OperationalError as err:
            session.rollback()
            if _is_busy(err):
                raise DatabaseBusy(t("error.db_busy")) from err
            raise
        except BaseException:
            session.rollback()
            raise
    for event in work.events:
        realtime.publish(event)


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        except sa.exc.OperationalError as err:
            if _is_busy(err):
                raise DatabaseBusy(t("error.db_busy")) from err
            raise
