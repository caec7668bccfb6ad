"""Upload quotas (issue 9): per client and per employee, in a sliding window, answered in Russian."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from chat_crm import config
from chat_crm.models import Attachment, Chat, Message, utcnow
from chat_crm.services import attachments, messages, quotas
from chat_crm.services.errors import ServiceError
from tests import factories

pytestmark = [pytest.mark.security, pytest.mark.feature("M2")]

PDF = b"%PDF-1.7\n" + b"\x00" * 1000


@pytest.fixture
def small_quota(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("UPLOAD_QUOTA_FILES", "3")
    monkeypatch.setenv("UPLOAD_QUOTA_BYTES", "3500")
    config.reload_settings()
    yield
    monkeypatch.undo()
    config.reload_settings()


def _client_upload(client_id: int, size: int = len(PDF)) -> attachments.StagedFile:
    data = (PDF + b"\x00" * size)[:size]
    return attachments.stage_client_file(client_id=client_id, filename="акт.pdf", stream=io.BytesIO(data))


def _employee_upload(employee_id: int, chat_id: int) -> attachments.StagedFile:
    return attachments.stage_employee_file(
        employee_id=employee_id, chat_id=chat_id, filename="план.pdf", stream=io.BytesIO(PDF)
    )


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Attachment)).one()


def test_a_client_gets_a_russian_refusal_past_the_file_count_and_others_go_on(
    session: Session, world, small_quota: None
) -> None:
    for _ in range(3):
        _client_upload(world["client"].id)
    with pytest.raises(ServiceError) as refused:
        _client_upload(world["client"].id)
    assert refused.value.message == "Лимит загрузки файлов исчерпан: попробуйте снова через 60 мин"
    assert refused.value.field == "file"
    assert _count(session) == 3
    other = factories.client(session, "Петров Пётр")
    assert _client_upload(other.id).id > 0  # one client's quota is theirs alone


def test_the_byte_quota_counts_the_file_being_uploaded(session: Session, world, small_quota: None) -> None:
    _client_upload(world["client"].id, 2000)
    with pytest.raises(ServiceError, match="Лимит загрузки файлов исчерпан"):
        _client_upload(world["client"].id, 1501)  # 3501 > 3500
    assert _client_upload(world["client"].id, 1500).id > 0  # 3500 fits exactly
    assert list(config.get_settings().attachments_dir.iterdir()).__len__() == 2  # nothing left behind


def test_the_window_slides_sent_files_count_and_the_wait_is_said(
    session: Session, world, small_quota: None
) -> None:
    first = _client_upload(world["client"].id)
    messages.send_client_message(
        client_id=world["client"].id, text="", client_msg_id="quota-00001", attachment_id=first.id
    )
    _client_upload(world["client"].id)
    _client_upload(world["client"].id)
    row = session.get(Attachment, first.id)
    row.created_at = utcnow() - timedelta(minutes=50)  # the clock is the only fake
    session.add(row)
    session.commit()
    with pytest.raises(ServiceError, match="через 10 мин"):
        _client_upload(world["client"].id)
    row.created_at = utcnow() - timedelta(minutes=61)
    session.add(row)
    session.commit()
    assert _client_upload(world["client"].id).id > 0
    assert session.exec(select(func.count()).select_from(Message)).one() == 1


def test_an_employee_has_a_quota_of_their_own_across_chats(
    session: Session, world, small_quota: None
) -> None:
    chats = []
    for n in range(2):
        client = factories.client(session, f"Клиент {n}")
        messages.send_client_message(client_id=client.id, text="Вопрос", client_msg_id=f"q-{n:08d}")
        chats.append(messages.client_chat_id(client_id=client.id))
    _employee_upload(world["manager"].id, chats[0])
    _employee_upload(world["manager"].id, chats[1])
    _employee_upload(world["manager"].id, chats[1])
    with pytest.raises(ServiceError, match="Лимит загрузки файлов исчерпан"):
        _employee_upload(world["manager"].id, chats[0])
    # The client of that chat is another uploader: the employee's files are not theirs.
    assert _client_upload(session.get(Chat, chats[0]).client_id).id > 0


def test_all_unsent_files_together_have_a_ceiling(
    session: Session, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAGED_UPLOAD_MAX_TOTAL_BYTES", "2500")
    config.reload_settings()
    try:
        first = _client_upload(world["client"].id)
        _client_upload(factories.client(session, "Аноним 1").id)
        with pytest.raises(ServiceError) as refused:
            _client_upload(factories.client(session, "Аноним 2").id)
        assert refused.value.message == "Сейчас файлы не принимаются: попробуйте позже"
        messages.send_client_message(
            client_id=world["client"].id, text="", client_msg_id="quota-00002", attachment_id=first.id
        )
        assert _client_upload(factories.client(session, "Аноним 3").id).id > 0  # a sent file frees room
    finally:
        monkeypatch.undo()
        config.reload_settings()


def test_the_sliding_window_helper_counts_rows_of_any_table(session: Session, world) -> None:
    """The generic half: a message rate limit can count its rows the same way."""
    for n in range(3):
        messages.send_client_message(client_id=world["client"].id, text=f"{n}", client_msg_id=f"w-{n:08d}")
    chat_id = messages.client_chat_id(client_id=world["client"].id)
    limit = quotas.Limit(window=timedelta(seconds=10), count=3)
    usage = quotas.window_usage(session, Message.created_at, Message.chat_id == chat_id, window=limit.window)
    assert (usage.count, usage.amount) == (3, 3)
    with pytest.raises(ServiceError, match="через 1 мин"):
        quotas.check(limit, usage, "error.upload_quota")
    quotas.check(quotas.Limit(window=limit.window, count=4), usage, "error.upload_quota")
