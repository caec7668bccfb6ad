"""Upload checks (M2): size, content by magic bytes, and who may fetch a file;
images decode, get a thumbnail, and HEIC becomes JPEG (P7)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlmodel import Session, func, select

from chat_crm import config
from chat_crm.models import Attachment, DeepLinkKind, Message, PartnerSettings, Project, utcnow
from chat_crm.services import attachments, messages
from chat_crm.services.errors import NotFound, ServiceError
from tests import factories


def _image_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: which way up a thumbnail came out shows."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def _heic(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=50)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` in a few dozen bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


PNG = _image_bytes(Image.new("RGB", (4, 3), (10, 200, 10)), "PNG")
JPEG = _image_bytes(Image.new("RGB", (4, 3), (200, 10, 10)), "JPEG")
PDF = b"%PDF-1.7\n" + b"\x00" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


ALLOWED = [
    ("фото.jpg", JPEG, "image/jpeg"),
    ("скрин.png", PNG, "image/png"),
    ("договор.pdf", PDF, "application/pdf"),
    ("смета.xls", OLE, "application/vnd.ms-excel"),
    ("акт.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("заметка.txt", "Привет, это текст".encode(), "text/plain; charset=utf-8"),
]
FORBIDDEN_HEADS = [b"MZ\x90\x00", b"\x7fELF", b"#!/bin/sh\n", b"<svg onload=alert(1)>", b"PK\x03\x04"]


def _stage(world, name: str, data: bytes) -> attachments.StagedFile:
    return attachments.stage_client_file(client_id=world["client"].id, filename=name, stream=io.BytesIO(data))


def _stored_files() -> list[Path]:
    folder = config.get_settings().attachments_dir
    return [p for p in folder.iterdir()] if folder.exists() else []


@pytest.mark.feature("M2")
@pytest.mark.parametrize(("name", "data", "content_type"), ALLOWED)
def test_the_allow_list_accepts_images_pdf_office_and_text(
    session: Session, world, name: str, data: bytes, content_type: str
) -> None:
    staged = _stage(world, name, data)
    row = session.get(Attachment, staged.id)
    assert (row.content_type, row.size_bytes, row.filename) == (content_type, len(data), name)
    assert (config.get_settings().attachments_dir / row.storage_key).read_bytes() == data


@pytest.mark.feature("M2")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    head=st.sampled_from(FORBIDDEN_HEADS),
    tail=st.binary(max_size=256),
    ext=st.sampled_from([".jpg", ".png", ".heic", ".pdf", ".docx", ".exe", ".txt", ""]),
)
def test_anything_else_is_refused_whatever_its_name_and_nothing_is_kept(
    session: Session, world, head: bytes, tail: bytes, ext: str
) -> None:
    data = head + tail
    if ext == ".txt" and head in (b"#!/bin/sh\n", b"<svg onload=alert(1)>"):
        return  # a script named .txt may well be text: it is only ever offered as a download
    with pytest.raises(ServiceError) as refused:
        _stage(world, "файл" + ext, data)
    assert refused.value.field == "file"
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert _stored_files() == []


@pytest.mark.feature("M2")
def test_an_executable_renamed_jpg_is_refused_in_russian(world) -> None:
    with pytest.raises(ServiceError, match="Такой тип файла нельзя отправить"):
        _stage(world, "котик.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(4096))


@pytest.mark.feature("M2")
def test_40_mb_pass_and_40_mb_plus_one_byte_is_refused_without_a_trace(session: Session, world) -> None:
    limit = 40 * 1024 * 1024
    ok = _stage(world, "план.png", PNG + b"\x00" * (limit - len(PNG)))
    assert session.get(Attachment, ok.id).size_bytes == limit
    with pytest.raises(ServiceError, match="Файл больше 40 МБ"):
        _stage(world, "план2.png", PNG + b"\x00" * (limit + 1 - len(PNG)))
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 1
    assert len(_stored_files()) == 2  # the picture and its thumbnail


@pytest.mark.feature("M2")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=3000))
def test_the_size_limit_holds_at_every_size(world, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "2000")
    config.reload_settings()
    try:
        data = (PNG + b"\x00" * size)[:size] if size >= len(PNG) else b"x" * size
        name = "a.png" if size >= len(PNG) else "a.txt"
        if size <= 2000:
            assert _stage(world, name, data).id > 0
        else:
            with pytest.raises(ServiceError, match="Файл больше"):
                _stage(world, name, data)
    finally:
        monkeypatch.delenv("MAX_UPLOAD_BYTES")
        config.reload_settings()


@pytest.mark.feature("M2")
def test_a_file_reaches_only_its_chat_client_and_employees_who_see_chats(session: Session, world) -> None:
    staged = _stage(world, "фото.jpg", JPEG)
    messages.send_client_message(
        client_id=world["client"].id, text="", client_msg_id="file-000001", attachment_id=staged.id
    )
    assert attachments.file_for_client(client_id=world["client"].id, attachment_id=staged.id).is_image
    assert attachments.file_for_employee(employee_id=world["operator"].id, attachment_id=staged.id)
    stranger = factories.client(session, "Петров Пётр")
    with pytest.raises(NotFound):
        attachments.file_for_client(client_id=stranger.id, attachment_id=staged.id)
    outsider = factories.employee(session, "x@demo.ru", role_row=factories.role(session, "Без доступа", []))
    with pytest.raises(ServiceError):
        attachments.file_for_employee(employee_id=outsider.id, attachment_id=staged.id)


@pytest.mark.feature("M2")
def test_a_staged_file_is_linked_once_and_only_in_its_own_chat(session: Session, world) -> None:
    staged = _stage(world, "фото.jpg", JPEG)
    stranger = factories.client(session, "Петров Пётр")
    with pytest.raises(ServiceError, match="Файл больше недоступен"):
        messages.send_client_message(
            client_id=stranger.id, text="чужой файл", client_msg_id="file-000002", attachment_id=staged.id
        )
    messages.send_client_message(
        client_id=world["client"].id, text="", client_msg_id="file-000003", attachment_id=staged.id
    )
    with pytest.raises(ServiceError, match="Файл больше недоступен"):
        messages.send_client_message(
            client_id=world["client"].id, text="ещё раз", client_msg_id="file-000004", attachment_id=staged.id
        )
    assert session.exec(select(func.count()).select_from(Message)).one() == 1


@pytest.mark.feature("M5")
def test_deep_links_follow_the_partners_products_and_need_a_project_where_they_show_one(
    session: Session, world
) -> None:
    session.add(PartnerSettings(name="Партнёр", has_mortgage=False, has_deal=True))
    project = Project(name="ЖК «Тест»")
    session.add(project)
    session.commit()
    messages.send_client_message(client_id=world["client"].id, text="Вопрос", client_msg_id="link-000001")
    chat_id = messages.client_chat_id(client_id=world["client"].id)

    def send(kind: str, project_id: int | None = None, n: int = 0) -> int:
        return messages.send_employee_message(
            employee_id=world["manager"].id,
            chat_id=chat_id,
            text="",
            client_msg_id=f"link-{kind[:6]}-{n}",
            link_kind=kind,
            link_project_id=project_id,
        )

    with pytest.raises(ServiceError, match="Этот переход недоступен"):
        send(DeepLinkKind.mortgage_calculator.value)
    with pytest.raises(ServiceError, match="Выберите проект"):
        send(DeepLinkKind.project_card.value)
    message_id = send(DeepLinkKind.project_card.value, project.id, 1)
    send(DeepLinkKind.installments.value, None, 2)
    views = {v.id: v for v in messages.messages_for_client(client_id=world["client"].id)}
    assert (views[message_id].link_kind, views[message_id].link_title) == ("project_card", "ЖК «Тест»")


def _thumb_of(row: Attachment) -> Image.Image:
    path = config.get_settings().attachments_dir / (row.storage_key + ".thumb.jpg")
    return Image.open(path)


@pytest.mark.feature("P7")
def test_a_photo_gets_a_thumbnail_in_the_bound_turned_the_way_the_camera_was_held(
    session: Session, world
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored lying on its side: "rotate 90° clockwise to show"
    data = _image_bytes(_halves(1200, 600), "JPEG", exif=exif.tobytes(), quality=90)
    row = session.get(Attachment, _stage(world, "фото.jpg", data).id)
    assert (config.get_settings().attachments_dir / row.storage_key).read_bytes() == data  # kept as sent
    with _thumb_of(row) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (220, 440))
        top, bottom = thumb.getpixel((110, 20)), thumb.getpixel((110, 420))
    assert top[0] > 200 and top[2] < 60  # the photo's left (red) edge is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=row.id, thumb=True)
    assert (served.content_type, served.filename) == ("image/jpeg", "фото.jpg")
    assert served.size < len(data)


@pytest.mark.feature("P7")
def test_a_transparent_png_thumbnail_is_white_where_it_was_clear_and_a_small_one_is_not_enlarged(
    session: Session, world
) -> None:
    clear = Image.new("RGBA", (1000, 800), (0, 0, 0, 0))
    clear.paste((0, 128, 0, 255), (0, 0, 500, 800))
    row = session.get(Attachment, _stage(world, "схема.png", _image_bytes(clear, "PNG")).id)
    with _thumb_of(row) as thumb:
        assert (thumb.mode, thumb.size) == ("RGB", (440, 352))
        assert thumb.getpixel((400, 100)) == (255, 255, 255)
    small = session.get(Attachment, _stage(world, "значок.png", PNG).id)
    with _thumb_of(small) as thumb:
        assert thumb.size == (4, 3)


@pytest.mark.feature("P7")
def test_an_iphone_heic_photo_is_stored_as_jpeg_with_a_thumbnail(session: Session, world) -> None:
    data = _heic(_halves(900, 1200))
    assert data[4:12] == b"ftypheic"
    staged = _stage(world, "IMG_0042.HEIC", data)
    assert (staged.name, staged.is_image) == ("IMG_0042.jpg", True)
    row = session.get(Attachment, staged.id)
    stored = (config.get_settings().attachments_dir / row.storage_key).read_bytes()
    assert (row.filename, row.content_type, row.is_image) == ("IMG_0042.jpg", "image/jpeg", True)
    assert (row.size_bytes, row.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    with Image.open(io.BytesIO(stored)) as full:
        assert (full.format, full.size) == ("JPEG", (900, 1200))
    with _thumb_of(row) as thumb:
        assert thumb.size == (330, 440)
    served = attachments.file_for_employee(employee_id=world["operator"].id, attachment_id=row.id)
    assert (served.content_type, served.filename) == ("image/jpeg", "IMG_0042.jpg")


@pytest.mark.feature("P7")
def test_a_heic_photo_renamed_jpg_by_the_phone_is_converted_too(session: Session, world) -> None:
    row = session.get(Attachment, _stage(world, "photo.jpg", _heic(Image.new("RGB", (64, 48)))).id)
    assert (row.filename, row.content_type) == ("photo.jpg", "image/jpeg")


@pytest.mark.feature("P7")
@pytest.mark.parametrize("side", [9000, 40000])
def test_a_decompression_bomb_is_refused_before_decoding_and_nothing_is_kept(
    session: Session, world, side: int
) -> None:
    with pytest.raises(ServiceError) as refused:
        _stage(world, "бомба.png", _png_header_only(side, side))
    assert refused.value.message == "Изображение больше 80 мегапикселей: выберите изображение поменьше"
    assert refused.value.field == "file"
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert _stored_files() == []


@pytest.mark.feature("P7")
@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("IMG_0001.heic", b"MZ\x90\x00" + b"\x00" * 4096, "Такой тип файла нельзя отправить"),
        ("IMG_0002.heic", "Просто текст".encode() * 100, "Такой тип файла нельзя отправить"),
        (
            "IMG_0003.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(2048),
            "Не удалось",
        ),
        ("IMG_0004.heic", PNG, "Содержимое файла не совпадает с его расширением"),
        ("битое.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "Не удалось открыть изображение"),
        ("битое.png", PNG[:40], "Не удалось открыть изображение"),
    ],
)
def test_what_is_not_a_decodable_image_is_refused_in_russian_and_nothing_is_kept(
    session: Session, world, name: str, data: bytes, error: str
) -> None:
    with pytest.raises(ServiceError, match=error) as refused:
        _stage(world, name, data)
    assert refused.value.field == "file"
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert _stored_files() == []


@pytest.mark.feature("P7")
def test_a_file_stored_before_thumbnails_is_served_whole_at_the_thumbnail_address(
    session: Session, world
) -> None:
    row = session.get(Attachment, _stage(world, "старое.png", PNG).id)
    folder = config.get_settings().attachments_dir
    (folder / (row.storage_key + ".thumb.jpg")).unlink()
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=row.id, thumb=True)
    assert (served.path, served.content_type) == (folder / row.storage_key, "image/png")
    document = _stage(world, "договор.pdf", PDF)
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=document.id, thumb=True)
    assert served.content_type == "application/pdf"
    stranger = factories.client(session, "Петров Пётр")
    with pytest.raises(NotFound):
        attachments.file_for_client(client_id=stranger.id, attachment_id=row.id, thumb=True)


# ---- names (issue 9) ----------------------------------------------------------------------------
@pytest.mark.security
@pytest.mark.feature("M2")
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("отчет\u202efdp.pdf", "отчетfdp.pdf"),
        ("\u2066фото\u2069\u200f.jpg", "фото.jpg"),
        ("e\u0301tude.pdf", "\u00e9tude.pdf"),  # NFD from a Mac becomes NFC
        ("line\nbreak\x00\x07.pdf", "linebreak.pdf"),
        ("a\ud800b.pdf", "ab.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\договор.pdf", "договор.pdf"),
        ("\u202e", "file"),
        ("..", "file"),
    ],
)
def test_a_file_name_is_normalized_and_loses_bidi_and_control_characters(sent: str, kept: str) -> None:
    assert attachments.clean_name(sent) == kept


@pytest.mark.security
@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=400))
def test_any_name_comes_out_bounded_nfc_and_without_bidi_or_controls(name: str) -> None:
    import unicodedata

    cleaned = attachments.clean_name(name)
    assert 0 < len(cleaned) <= 255
    assert unicodedata.is_normalized("NFC", cleaned) or cleaned == unicodedata.normalize("NFC", cleaned)
    assert not any(
        unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or ord(c) in attachments._BIDI for c in cleaned
    )
    assert "/" not in cleaned and "\\" not in cleaned


@pytest.mark.security
@pytest.mark.feature("M2")
def test_a_long_name_keeps_its_extension_and_an_rtl_disguised_executable_is_refused(
    session: Session, world
) -> None:
    staged = _stage(world, "я" * 400 + ".pdf", PDF)
    assert staged.name == "я" * 251 + ".pdf"
    with pytest.raises(ServiceError, match="Такой тип файла нельзя отправить"):
        _stage(world, "счет\u202efdp.exe", PDF)  # shows as «счетexe.pdf» with the override
    row = session.get(Attachment, _stage(world, "фото\u202e.jpg", JPEG).id)
    assert row.filename == "фото.jpg"


# ---- staged files expire (issue 9) ----------------------------------------------------------------
def _expire_staged(session: Session, ids: list[int]) -> None:
    for attachment_id in ids:
        row = session.get(Attachment, attachment_id)
        row.staged_until = utcnow() - timedelta(seconds=1)  # the clock is the only fake
        session.add(row)
    session.commit()


@pytest.mark.security
@pytest.mark.feature("M2")
def test_a_staged_file_never_sent_is_swept_with_its_bytes_and_a_sent_one_stays(
    session: Session, world
) -> None:
    sent = _stage(world, "фото.jpg", JPEG)
    messages.send_client_message(
        client_id=world["client"].id, text="", client_msg_id="sweep-00001", attachment_id=sent.id
    )
    orphan = _stage(world, "скрин.png", PNG)
    row = session.get(Attachment, orphan.id)
    ttl = config.get_settings().staged_upload_ttl_seconds
    assert ttl == 3600 and session.get(Attachment, sent.id).staged_until is None
    assert row.staged_until - row.created_at == timedelta(seconds=ttl)
    assert attachments.sweep_staged(now=utcnow()) == 0  # not yet due
    later = row.staged_until + timedelta(seconds=1)
    assert attachments.sweep_staged(now=later) == 1
    session.expire_all()
    assert session.get(Attachment, orphan.id) is None
    assert session.get(Attachment, sent.id) is not None
    assert sorted(p.name for p in _stored_files()) == sorted(
        [
            session.get(Attachment, sent.id).storage_key,
            session.get(Attachment, sent.id).storage_key + ".thumb.jpg",
        ]
    )
    assert attachments.sweep_staged(now=later) == 0


@pytest.mark.security
@pytest.mark.feature("M2")
def test_an_expired_staged_file_cannot_be_sent(session: Session, world) -> None:
    staged = _stage(world, "фото.jpg", JPEG)
    _expire_staged(session, [staged.id])
    with pytest.raises(ServiceError, match="Файл больше недоступен"):
        messages.send_client_message(
            client_id=world["client"].id, text="", client_msg_id="sweep-00002", attachment_id=staged.id
        )


@pytest.mark.security
@pytest.mark.parametrize("bad_id", [2**63, 2**64 + 5, -1, True])
def test_an_attachment_id_out_of_range_is_refused_in_russian(session: Session, world, bad_id: int) -> None:
    with pytest.raises(ServiceError, match="Файл больше недоступен"):
        messages.send_client_message(
            client_id=world["client"].id, text="x", client_msg_id="range-00001", attachment_id=bad_id
        )
    with pytest.raises(NotFound):
        attachments.file_for_client(client_id=world["client"].id, attachment_id=bad_id)
    with pytest.raises(NotFound):
        attachments.file_for_employee(employee_id=world["manager"].id, attachment_id=bad_id)


@pytest.mark.security
def test_a_backlog_of_expired_files_goes_in_one_sweep(session: Session, world) -> None:
    ids = [_stage(world, f"файл{n}.pdf", PDF).id for n in range(5)]
    _expire_staged(session, ids)
    assert attachments.sweep_staged(now=utcnow(), limit=2) == 5
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert _stored_files() == []
