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


@lru_cache(maxsize=4)
def _engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def get_engine() -> sa.Engine:
    return _engine_for(get_settings().database_url)


class UnitOfWork:
    """A session plus the events to publish once it commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: list[ChatEvent] = []

    def announce(self, event: ChatEvent) -> None:
        self.events.append(event)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    from chat_crm import realtime

    with Session(get_engine(), expire_on_commit=False) as session:
        work = UnitOfWork(session)
        try:
            yield work
            session.commit()
        except BaseException:
            session.rollback()
            raise
    for event in work.events:
        realtime.publish(event)


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
