"""Files in messages (M2): one per message, up to 40 MB, checked by size and by content.

The bytes live under ``settings.attachments_dir``, never in a public folder, and
are served only through ``file_for_*``, which check who is asking. A file is
first *staged* (stored, with no message yet); the send that follows links it.

What a file is comes from ``file_types`` (bounded: no zip bomb), pictures are decoded by
``images`` (P7). A staged file no message took expires (``staged_until``) and ``sweep_staged``
removes it; each uploader has a quota (``quotas``). Names are cleaned of bidi and control
characters before anything shows them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Attachment, Chat, utcnow
from chat_crm.services import quotas
from chat_crm.services.access import Permission, access_chat_as_employee, access_client, require_employee
from chat_crm.services.chats import ensure_chat
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.services.file_types import TEXT_EXTENSIONS, sniff, text_type
from chat_crm.services.images import process_image, thumb_path
from chat_crm.texts import t

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MAX_NAME = 255
MAX_ID = 2**63 - 1
SWEEP_BATCH = 200


def max_upload_bytes() -> int:
    return get_settings().max_upload_bytes


def size_label(size: int) -> str:
    """«512 Б», «12,4 КБ», «3,1 МБ» — as a Russian user reads sizes."""
    if size < 1024:
        return f"{size} Б"
    for unit, scale in (("КБ", 1024), ("МБ", 1024**2), ("ГБ", 1024**3)):
        if size < scale * 1024 or unit == "ГБ":
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} Б"


def too_big_message() -> str:
    megabytes = f"{max_upload_bytes() / 2**20:.3g}".replace(".", ",")
    return t("error.file_too_big", limit=megabytes)


def check_size(size: int) -> None:
    if size > max_upload_bytes():
        raise ServiceError(too_big_message(), field="file")
    if size == 0:
        raise ServiceError(t("error.file_empty"), field="file")


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# Bidi controls (LRM, RLM, ALM, the embeddings and overrides, the isolates) make «отчет‮fdp.exe»
# read as «отчетexe.pdf»; they carry nothing a file name needs.
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Controls, lone surrogates (they break every encoder down the line), line and paragraph breaks.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def clean_name(filename: str) -> str:
    """The name as shown and offered for download: NFC, no bidi or control characters,
    no folders, at most 255 characters with the extension kept."""
    kept = "".join(
        c for c in filename if unicodedata.category(c) not in _DROPPED_CATEGORIES and ord(c) not in _BIDI
    )
    name = Path(unicodedata.normalize("NFC", kept).replace("\\", "/")).name.strip()
    if name in ("", ".", ".."):
        name = "file"
    stem, ext = os.path.splitext(name)
    if len(ext) > 16:
        stem, ext = name, ""
    return stem[: MAX_NAME - len(ext)] + ext


def valid_id(value: object) -> bool:
    """A row id as the database can hold it: a positive signed 64-bit integer."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


@dataclass(frozen=True)
class StagedFile:
    id: int
    name: str
    size: str
    is_image: bool


def _copy(stream: BinaryIO, path: Path) -> tuple[str, int]:
    """Copy the stream to ``path``, hashing; stop as soon as the size limit is passed."""
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            check_size(max(size, 1))
            digest.update(chunk)
            out.write(chunk)
    check_size(size)
    return digest.hexdigest(), size


def _checked(path: Path, name: str, sha256: str, size: int) -> tuple[str, str, bool, str, int]:
    """(name, content type, is image, sha256, size) once the content passed its checks."""
    content_type, is_image = sniff(path, name)
    if is_image:
        stored_type = process_image(path, content_type)
        if stored_type != content_type:  # HEIF became JPEG: new bytes, new name
            content_type, (sha256, size) = stored_type, _digest(path)
            name = clean_name(Path(name).stem[:250] + ".jpg")
    return name, content_type, is_image, sha256, size


def _store(
    session: Session, chat: Chat, filename: str, stream: BinaryIO, uploader: quotas.Uploader
) -> Attachment:
    """Copy the stream to storage, counting and hashing; refuse past the limit or the quota."""
    settings = get_settings()
    upload = quotas.begin_upload(session, uploader)
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    key = uuid.uuid4().hex
    path = settings.attachments_dir / key
    try:
        sha256, size = _copy(stream, path)
        upload.check(size)
        name, content_type, is_image, sha256, size = _checked(path, clean_name(filename), sha256, size)
    except BaseException:
        path.unlink(missing_ok=True)
        thumb_path(path).unlink(missing_ok=True)
        raise
    attachment = Attachment(
        chat_id=chat.id or 0,
        filename=name,
        content_type=content_type,
        size_bytes=size,
        is_image=is_image,
        storage_key=key,
        sha256=sha256,
        uploaded_by_employee_id=uploader.employee_id,
        created_at=(now := utcnow()),
        staged_until=now + timedelta(seconds=settings.staged_upload_ttl_seconds),
    )
    session.add(attachment)
    session.flush()
    return attachment


def _staged(attachment: Attachment) -> StagedFile:
    return StagedFile(
        id=attachment.id or 0,
        name=attachment.filename,
        size=size_label(attachment.size_bytes),
        is_image=attachment.is_image,
    )


def stage_client_file(*, client_id: int, filename: str, stream: BinaryIO) -> StagedFile:
    with unit_of_work() as work:
        client = access_client(work.session, client_id)
        chat = ensure_chat(work.session, client)
        uploader = quotas.Uploader(chat_id=chat.id or 0)
        return _staged(_store(work.session, chat, filename, stream, uploader))


def stage_employee_file(*, employee_id: int, chat_id: int, filename: str, stream: BinaryIO) -> StagedFile:
    with unit_of_work() as work:
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        require_employee(work.session, employee_id, Permission.chat_send)
        uploader = quotas.Uploader(chat_id=chat.id or 0, employee_id=employee_id)
        return _staged(_store(work.session, chat, filename, stream, uploader))


def claim_staged(session: Session, chat: Chat, attachment_id: int | None) -> int | None:
    """The staged file a send may link: of this chat, not expired, not yet in any message.

    One conditional UPDATE takes it, so a concurrent send or the sweep (which deletes only
    rows still staged) cannot both have it.
    """
    if not attachment_id:
        return None
    if not valid_id(attachment_id):
        raise ServiceError(t("error.file_gone"), field="file")
    taken = session.execute(
        update(Attachment)
        .where(
            col(Attachment.id) == attachment_id,
            col(Attachment.chat_id) == chat.id,
            col(Attachment.staged_until) > utcnow(),
        )
        .values(staged_until=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ServiceError(t("error.file_gone"), field="file")
    return attachment_id


def sweep_staged(now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Delete staged files past their time (rows first, then bytes); returns how many went.

    Safe in every worker at once: a row is deleted only while still staged and due, and
    only the worker whose DELETE took it removes the bytes. A crash between the commit and
    the unlink leaves bytes no row points to, never a row without its bytes.
    """
    now = now or utcnow()
    total, found = 0, limit
    while found == limit:  # a backlog goes in one round, whoever else sweeps beside
        found, removed = _sweep_batch(now, limit)
        total += removed
    return total


def _sweep_batch(now: datetime, limit: int) -> tuple[int, int]:
    """(rows found due, rows this call deleted)."""
    with read_session() as session:
        due = session.exec(
            select(Attachment.id, Attachment.storage_key)
            .where(col(Attachment.staged_until) <= now)
            .order_by(col(Attachment.staged_until))
            .limit(limit)
        ).all()
    removed: list[str] = []
    for attachment_id, key in due:
        with unit_of_work() as work:
            gone = work.session.execute(
                delete(Attachment).where(
                    col(Attachment.id) == attachment_id, col(Attachment.staged_until) <= now
                )
            )
        if gone.rowcount == 1:
            removed.append(key)
    folder = get_settings().attachments_dir
    for key in removed:
        (folder / key).unlink(missing_ok=True)
        thumb_path(folder / key).unlink(missing_ok=True)
    return len(due), len(removed)


@dataclass(frozen=True)
class StoredFile:
    path: Path
    filename: str
    content_type: str
    is_image: bool
    size: int


def _stored(attachment: Attachment, thumb: bool) -> StoredFile:
    """The file, or its thumbnail when asked and made (older rows have none: the original)."""
    path = get_settings().attachments_dir / attachment.storage_key
    if not path.is_file():
        raise NotFound(t("error.not_found"))
    small = thumb_path(path)
    if thumb and attachment.is_image and small.is_file():
        return StoredFile(
            path=small,
            filename=clean_name(Path(attachment.filename).stem[:250] + ".jpg"),
            content_type="image/jpeg",
            is_image=True,
            size=small.stat().st_size,
        )
    content_type = attachment.content_type
    ext = Path(attachment.filename).suffix.lower()
    if content_type.startswith("text/") and ext in TEXT_EXTENSIONS:
        # Files stored before charsets were detected all said utf-8: look again.
        content_type = text_type(path, ext) or content_type
    return StoredFile(
        path=path,
        filename=clean_name(attachment.filename),
        content_type=content_type,
        is_image=attachment.is_image,
        size=attachment.size_bytes,
    )


def file_for_client(*, client_id: int | None, attachment_id: int, thumb: bool = False) -> StoredFile:
    """Only the chat's own client; anyone else learns nothing (NotFound)."""
    if not valid_id(attachment_id):
        raise NotFound(t("error.not_found"))
    with read_session() as session:
        client = access_client(session, client_id)
        attachment = session.get(Attachment, attachment_id)
        chat = session.get(Chat, attachment.chat_id) if attachment else None
        if attachment is None or chat is None or chat.client_id != client.id:
            raise NotFound(t("error.not_found"))
        return _stored(attachment, thumb)


def file_for_employee(*, employee_id: int | None, attachment_id: int, thumb: bool = False) -> StoredFile:
    if not valid_id(attachment_id):
        raise NotFound(t("error.not_found"))
    with read_session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound(t("error.not_found"))
        access_chat_as_employee(session, employee_id, attachment.chat_id)
        return _stored(attachment, thumb)
