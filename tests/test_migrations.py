"""The models and the one migration agree, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import chat_crm.models  # noqa: F401
from chat_crm.migrate import upgrade_to_head
from tests.conftest import use_database


def _diff(url: str) -> list:
    upgrade_to_head()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_sqlite_schema_matches_the_models(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    use_database(url)
    assert _diff(url) == []


@pytest.mark.integration
def test_postgresql_schema_matches_the_models(postgres_url: str) -> None:
    use_database(postgres_url)
    assert _diff(postgres_url) == []
