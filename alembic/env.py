"""Alembic runs against DATABASE_URL (default: the SQLite file under data/)."""

from __future__ import annotations

from sqlmodel import SQLModel

import chat_crm.models  # noqa: F401  (registers every table)
from alembic import context
from chat_crm.db import get_engine

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=str(get_engine().url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        with get_engine().connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name == "postgresql":
        # A migration waits for the app's locks as long as it takes (the app's lock_timeout is short).
        connection.exec_driver_sql("SET lock_timeout = 0")
        # The SET began a transaction: end it, or Alembic would leave the migrations in it
        # uncommitted (it manages only a transaction it begins itself).
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
