"""Files in messages (M2): one per message, up to 40 MB, checked by size and by content.

The bytes live under ``settings.attachments_dir``, never in a public folder, and
are served only through ``file_for_*``, which check who is asking. A file is
first *staged* (stored, with no message yet); the send that follows links it.

An image must decode: it gets a small JPEG thumbnail beside it
(``<storage_key>.thumb.jpg``), and an iPhone HEIC/HEIF photo is stored as JPEG,
so every browser can show it (P7).
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageOps
from sqlmodel import Session, select

from chat_crm.config import get_settings
from chat_crm.db import read_session, unit_of_work
from chat_crm.models import Attachment, Chat, Message
from chat_crm.services.access import Permission, access_chat_as_employee, access_client, require_employee
from chat_crm.services.chats import ensure_chat
from chat_crm.services.errors import NotFound, ServiceError
from chat_crm.texts import t

CHUNK = 1024 * 1024
SNIFF_BYTES = 8192

HEIF_EXTENSIONS = {".heic", ".heif"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"} | HEIF_EXTENSIONS
# The ISO-BMFF brands of the still images an iPhone (and Android phones set to HEIF) take.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
HEIF_TYPE = "image/heif"
# Pillow's plugin for each sniffed type: nothing else may parse the bytes.
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    HEIF_TYPE: "HEIF",
}
# A 48-megapixel iPhone photo passes; a header claiming more is refused before decoding,
# so a small file cannot make the server allocate gigabytes (a decompression bomb).
MAX_IMAGE_PIXELS = 80_000_000
THUMB_BOX = (440, 440)
THUMB_SUFFIX = ".thumb.jpg"
JPEG_QUALITY = 88
THUMB_QUALITY = 82

pillow_heif.register_heif_opener()
TEXT_EXTENSIONS = {".txt", ".csv"}
OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
ODF = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}


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


def _zip_members(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return set()


def _odf_mimetype(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, KeyError, OSError):
        return ""


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


def _looks_like_text(head: bytes) -> bool:
    """Readable text: no control bytes (binaries are full of them), decodable as UTF-8 or cp1251."""
    if any(b in _CONTROL for b in head):
        return False
    for encoding in ("utf-8", "cp1251"):
        try:
            # A multi-byte letter may be cut at the sniff boundary: ignore the tail.
            head.decode(encoding) if len(head) < SNIFF_BYTES else head[:-4].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(path: Path, filename: str) -> tuple[str, bool]:
    """(content type, is image) from the first bytes, or ServiceError if not on the allow-list.

    The name's extension must agree with the content for documents, so an
    executable renamed ``.jpg`` or ``.pdf`` is refused; an image may carry
    any image extension (phones rename HEIC→JPG and PNG→JPG all the time).
    """
    ext = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(b"\xff\xd8\xff"):
        kind: tuple[str, bool] | None = ("image/jpeg", True)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = ("image/png", True)
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        kind = ("image/gif", True)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = ("image/webp", True)
    elif _is_heif(head):
        kind = (HEIF_TYPE, True)
    else:
        kind = None
    if kind is not None:
        if ext not in IMAGE_EXTENSIONS or (ext in HEIF_EXTENSIONS and kind[0] != HEIF_TYPE):
            raise ServiceError(t("error.file_type_mismatch"), field="file")
        return kind
    if head.startswith(b"%PDF-") and ext == ".pdf":
        return "application/pdf", False
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext in OLE:
        return OLE[ext], False
    if head.startswith(b"PK\x03\x04"):
        if ext in OOXML and "[Content_Types].xml" in _zip_members(path):
            return OOXML[ext], False
        if ext in ODF and _odf_mimetype(path) == ODF[ext]:
            return ODF[ext], False
    if ext in TEXT_EXTENSIONS and _looks_like_text(head):
        return ("text/csv" if ext == ".csv" else "text/plain") + "; charset=utf-8", False
    raise ServiceError(t("error.file_type"), field="file")


def _is_heif(head: bytes) -> bool:
    """An ISO-BMFF ``ftyp`` box whose major or compatible brands name a HEIF still image."""
    if head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    brands = head[8:12] + head[16 : min(max(box_size, 16), 256)]
    return any(brands[i : i + 4] in HEIF_BRANDS for i in range(0, len(brands) - 3, 4))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency goes onto white, as a chat bubble would show it."""
    if image.mode in ("RGB", "L"):
        return image
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    return white


def _open_image(path: Path, content_type: str) -> Image.Image:
    """The image, size-checked from its header before any pixel is decoded."""
    try:
        image = Image.open(path, formats=[PILLOW_FORMATS[content_type]])
    except Image.DecompressionBombError:
        raise ServiceError(_too_many_pixels_message(), field="file") from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise ServiceError(_too_many_pixels_message(), field="file")
    return image


def _too_many_pixels_message() -> str:
    return t("error.image_too_large", limit=MAX_IMAGE_PIXELS // 1_000_000)


def _save_jpeg(image: Image.Image, target: Path, quality: int, icc_profile: bytes | None) -> None:
    part = target.with_name(target.name + ".part")
    try:
        _flattened(image).save(part, "JPEG", quality=quality, optimize=True, icc_profile=icc_profile)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _process_image(path: Path, content_type: str) -> str:
    """Decode the image, write its thumbnail, and turn HEIF into JPEG in place.

    Returns the stored content type. Refuses (ServiceError) what does not decode.
    """
    try:
        with _open_image(path, content_type) as image:
            icc = image.info.get("icc_profile")
            if content_type == HEIF_TYPE:
                image = ImageOps.exif_transpose(image)
                _save_jpeg(image, path, JPEG_QUALITY, icc)
                content_type = "image/jpeg"
            elif image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGBA")  # palette, CMYK, 16-bit: resample in full colour
            image.thumbnail(THUMB_BOX)  # a JPEG is decoded straight at a reduced scale here
            _save_jpeg(ImageOps.exif_transpose(image), thumb_path(path), THUMB_QUALITY, icc)
    except ServiceError:
        raise
    except Exception:  # whatever a malformed file makes a decoder raise: it is not an image we can show
        raise ServiceError(t("error.image_broken"), field="file") from None
    return content_type


def thumb_path(path: Path) -> Path:
    return path.with_name(path.name + THUMB_SUFFIX)


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _clean_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip() or "file"
    return name[-255:]


@dataclass(frozen=True)
class StagedFile:
    id: int
    name: str
    size: str
    is_image: bool


def _store(session: Session, chat: Chat, filename: str, stream: BinaryIO) -> Attachment:
    """Copy the stream to storage, counting and hashing; refuse past the limit."""
    settings = get_settings()
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    key = uuid.uuid4().hex
    path = settings.attachments_dir / key
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                check_size(max(size, 1))  # stop copying as soon as the limit is passed
                digest.update(chunk)
                out.write(chunk)
        check_size(size)
        content_type, is_image = sniff(path, filename)
        name, sha256 = _clean_name(filename), digest.hexdigest()
        if is_image:
            stored_type = _process_image(path, content_type)
            if stored_type != content_type:  # HEIF became JPEG: new bytes, new name
                content_type, (sha256, size) = stored_type, _digest(path)
                name = _clean_name(Path(name).stem[:250] + ".jpg")
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
        return _staged(_store(work.session, chat, filename, stream))


def stage_employee_file(*, employee_id: int, chat_id: int, filename: str, stream: BinaryIO) -> StagedFile:
    with unit_of_work() as work:
        chat = access_chat_as_employee(work.session, employee_id, chat_id)
        require_employee(work.session, employee_id, Permission.chat_send)
        return _staged(_store(work.session, chat, filename, stream))


def claim_staged(session: Session, chat: Chat, attachment_id: int | None) -> int | None:
    """The staged file a send may link: of this chat and not yet in any message."""
    if not attachment_id:
        return None
    attachment = session.get(Attachment, attachment_id)
    used = session.exec(select(Message.id).where(Message.attachment_id == attachment_id)).first()
    if attachment is None or attachment.chat_id != chat.id or used is not None:
        raise ServiceError(t("error.file_gone"), field="file")
    return attachment.id


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
            filename=_clean_name(Path(attachment.filename).stem[:250] + ".jpg"),
            content_type="image/jpeg",
            is_image=True,
            size=small.stat().st_size,
        )
    return StoredFile(
        path=path,
        filename=attachment.filename,
        content_type=attachment.content_type,
        is_image=attachment.is_image,
        size=attachment.size_bytes,
    )


def file_for_client(*, client_id: int | None, attachment_id: int, thumb: bool = False) -> StoredFile:
    """Only the chat's own client; anyone else learns nothing (NotFound)."""
    with read_session() as session:
        client = access_client(session, client_id)
        attachment = session.get(Attachment, attachment_id)
        chat = session.get(Chat, attachment.chat_id) if attachment else None
        if attachment is None or chat is None or chat.client_id != client.id:
            raise NotFound(t("error.not_found"))
        return _stored(attachment, thumb)


def file_for_employee(*, employee_id: int | None, attachment_id: int, thumb: bool = False) -> StoredFile:
    with read_session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound(t("error.not_found"))
        access_chat_as_employee(session, employee_id, attachment.chat_id)
        return _stored(attachment, thumb)
