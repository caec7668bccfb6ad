"""Uploads on a real PostgreSQL (issue 9): several workers sweep expired files at once and each
file goes exactly once; a send racing the sweep either takes its file or is told it is gone;
the quota window reads PostgreSQL's timestamps."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from chat_crm import config, db, realtime
from chat_crm.migrate import upgrade_to_head
from chat_crm.models import Attachment, Message, utcnow
from chat_crm.services import attachments, messages
from chat_crm.services.errors import ServiceError
from tests import factories
from tests.conftest import use_database

pytestmark = [pytest.mark.integration, pytest.mark.security]

PDF = b"%PDF-1.7\n" + b"\x00" * 512


@pytest.fixture
def pg_session(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A database of its own on the shared cluster, the whole schema, files in a temp folder."""
    name = f"uploads_{tmp_path.name[-12:].lower().replace('-', '_')}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    use_database(postgres_url.rsplit("/", 1)[0] + f"/{name}")
    upgrade_to_head()  # the migrations, as production builds its schema
    realtime.reset_bus()
    with Session(db.get_engine(), expire_on_commit=False) as session:
        yield session
    db.get_engine().dispose()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config.reload_settings()
    db._engine_for.cache_clear()
    realtime.reset_bus()


def _stage(client_id: int, n: int) -> int:
    return attachments.stage_client_file(
        client_id=client_id, filename=f"акт{n}.pdf", stream=io.BytesIO(PDF)
    ).id


def test_four_workers_sweep_at_once_and_each_file_goes_once(pg_session: Session) -> None:
    clients = [factories.client(pg_session, f"Клиент {n}") for n in range(3)]
    ids = [_stage(clients[n % 3].id, n) for n in range(30)]
    pg_session.execute(
        update(Attachment)
        .where(col(Attachment.id).in_(ids))
        .values(staged_until=utcnow() - timedelta(seconds=1))
    )
    pg_session.commit()
    with ThreadPoolExecutor(4) as pool:
        removed = list(pool.map(lambda _: attachments.sweep_staged(limit=7), range(4)))
    assert sum(removed) == 30
    assert pg_session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert list((config.get_settings().attachments_dir).iterdir()) == []


def test_a_send_racing_the_sweep_takes_its_file_or_is_told_it_is_gone(pg_session: Session) -> None:
    client = factories.client(pg_session)
    ids = [_stage(client.id, n) for n in range(12)]
    due = utcnow() + timedelta(seconds=60)
    pg_session.execute(update(Attachment).where(col(Attachment.id).in_(ids)).values(staged_until=due))
    pg_session.commit()
    later = due + timedelta(seconds=1)  # the sweep's clock is past due; the sends' is not

    def send(n: int) -> str:
        try:
            messages.send_client_message(
                client_id=client.id, text="", client_msg_id=f"race-{n:06d}", attachment_id=ids[n]
            )
            return "sent"
        except ServiceError as err:
            assert err.message == "Файл больше недоступен: прикрепите его заново"
            return "gone"

    with ThreadPoolExecutor(4) as pool:
        sweeps = [pool.submit(attachments.sweep_staged, later) for _ in range(2)]
        outcomes = list(pool.map(send, range(12)))
        swept = sum(f.result() for f in sweeps)
    sent = pg_session.exec(select(func.count()).select_from(Message)).one()
    left = pg_session.exec(select(func.count()).select_from(Attachment)).one()
    assert (outcomes.count("sent"), outcomes.count("gone")) == (sent, 12 - sent)
    assert swept == 12 - sent and left == sent  # every file is in a message or deleted, never both
    in_messages = pg_session.exec(select(Message.attachment_id)).all()
    assert sorted(in_messages) == sorted(
        pg_session.exec(select(Attachment.id).where(col(Attachment.staged_until).is_(None))).all()
    )


def test_the_quota_window_reads_postgresql_timestamps(
    pg_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPLOAD_QUOTA_FILES", "2")
    config.reload_settings()
    client = factories.client(pg_session)
    _stage(client.id, 1)
    _stage(client.id, 2)
    with pytest.raises(ServiceError, match="Лимит загрузки файлов исчерпан: попробуйте снова через 60 мин"):
        _stage(client.id, 3)
