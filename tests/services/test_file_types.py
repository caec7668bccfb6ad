"""What a file is (M2): zip bombs are refused with bounded memory; text charsets are detected."""

from __future__ import annotations

import io
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import psutil
import pytest
from sqlmodel import Session, func, select

from chat_crm import config
from chat_crm.models import Attachment
from chat_crm.services import attachments, file_types
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

ODT_TYPE = b"application/vnd.oasis.opendocument.text"
MIB = 1024 * 1024


def _deflated_zeros(total: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``total`` zero bytes, made without inflating them in memory:
    one fully flushed 1 MiB segment repeated (each segment stands alone after a full flush)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = packer.compress(b"\x00" * MIB) + packer.flush(zlib.Z_FULL_FLUSH)
    crc, zeros = 0, b"\x00" * MIB
    for _ in range(total // MIB):
        crc = zlib.crc32(zeros, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    return segment * (total // MIB) + end, crc


def _zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, stored bytes, method, declared size, crc): sizes may lie, as an attacker's do."""
    body, directory = b"", b""
    for name, data, method, declared, crc in entries:
        raw = name.encode()
        local = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), declared, len(raw), 0
        )
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), declared, len(raw), 0, 0, 0, 0, 0, len(body),
        ) + raw  # fmt: skip
        body += local + raw + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return body + directory + end


def _mimetype() -> tuple[str, bytes, int, int, int]:
    return ("mimetype", ODT_TYPE, zipfile.ZIP_STORED, len(ODT_TYPE), zlib.crc32(ODT_TYPE))


def _bombs() -> dict[str, bytes]:
    bomb, crc = _deflated_zeros(2048 * MIB)  # 2 GiB of zeros in about 2 MB
    return {
        "content.xml inflates to 2 GiB": _zip(
            [_mimetype(), ("content.xml", bomb, zipfile.ZIP_DEFLATED, 2048 * MIB, crc)]
        ),
        "mimetype inflates to 2 GiB": _zip([("mimetype", bomb, zipfile.ZIP_DEFLATED, 2048 * MIB, crc)]),
        "mimetype says 39 bytes, inflates to 2 GiB": _zip(
            [("mimetype", bomb, zipfile.ZIP_DEFLATED, len(ODT_TYPE), zlib.crc32(ODT_TYPE))]
        ),
    }


class PeakRss:
    """The process's resident memory, sampled every few milliseconds while the block runs."""

    def __enter__(self) -> PeakRss:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / MIB


def _stage(world, name: str, data: bytes) -> attachments.StagedFile:
    return attachments.stage_client_file(client_id=world["client"].id, filename=name, stream=io.BytesIO(data))


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Attachment)).one()


@pytest.mark.security
@pytest.mark.feature("M2")
def test_an_odt_zip_bomb_is_refused_and_the_worker_grows_by_less_than_50_mb(
    session: Session, world, capsys: pytest.CaptureFixture[str]
) -> None:
    for case, data in _bombs().items():
        assert len(data) < 3 * MIB
        with PeakRss() as rss, pytest.raises(ServiceError) as refused:
            _stage(world, "бомба.odt", data)
        with capsys.disabled():
            print(f"\nzip bomb ({case}, {len(data) / MIB:.1f} MB): RSS grew {rss.growth_mb:.1f} MB")
        assert rss.growth_mb < 50
        assert refused.value.field == "file"
        # A lying header passes the size check, and the capped read then finds no valid mimetype.
        assert refused.value.message == (t("error.file_type") if "says" in case else t("error.archive_bomb"))
    assert _count(session) == 0
    assert list(config.get_settings().attachments_dir.iterdir()) == []


@pytest.mark.security
@pytest.mark.feature("M2")
def test_a_docx_with_a_bomb_entry_is_refused_in_russian(world) -> None:
    bomb, crc = _deflated_zeros(1024 * MIB)
    data = _zip(
        [
            ("[Content_Types].xml", b"<Types/>", zipfile.ZIP_STORED, 8, zlib.crc32(b"<Types/>")),
            ("word/document.xml", bomb, zipfile.ZIP_DEFLATED, 1024 * MIB, crc),
        ]
    )
    with pytest.raises(ServiceError, match="Архив документа распаковывается в слишком большой объем"):
        _stage(world, "акт.docx", data)


@pytest.mark.security
@pytest.mark.feature("M2")
def test_an_archive_of_too_many_entries_is_refused_before_it_is_parsed(world) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(file_types.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"{n}", b"")
    with pytest.raises(ServiceError, match="Архив документа"):
        _stage(world, "много.docx", buffer.getvalue())


@pytest.mark.feature("M2")
def test_real_office_documents_still_pass(session: Session, world) -> None:
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "content.xml", "<office:document-content>" + "<text:p>Пункт</text:p>" * 20000 + "</x>"
        )
    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row><c/></row>" * 100000)
    assert (
        session.get(Attachment, _stage(world, "текст.odt", odt.getvalue()).id).content_type
        == ODT_TYPE.decode()
    )
    stored = session.get(Attachment, _stage(world, "таблица.xlsx", xlsx.getvalue()).id)
    assert stored.content_type == file_types.OOXML[".xlsx"]


RUSSIAN = "Договор купли-продажи квартиры, подписан 12 ноября.\r\nСумма: пять миллионов рублей.\r\n" * 3


@pytest.mark.feature("M2")
@pytest.mark.parametrize(
    ("encoding", "charset"),
    [("utf-8", "utf-8"), ("cp1251", "windows-1251"), ("koi8-r", "koi8-r"), ("utf-16", "utf-16")],
)
def test_a_text_file_is_served_with_the_charset_it_was_written_in(
    session: Session, world, encoding: str, charset: str
) -> None:
    staged = _stage(world, "письмо.txt", RUSSIAN.encode(encoding))
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=staged.id)
    assert served.content_type == f"text/plain; charset={charset}"
    assert served.path.read_bytes().decode(charset) == RUSSIAN


@pytest.mark.feature("M2")
def test_a_long_utf8_text_cut_mid_letter_by_the_sample_is_still_utf8(world) -> None:
    text = "ж" + "Ж" * (file_types.TEXT_SAMPLE_BYTES // 2)  # the sample ends inside a letter
    staged = _stage(world, "длинный.txt", text.encode())
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=staged.id)
    assert served.content_type == "text/plain; charset=utf-8"


@pytest.mark.feature("M2")
def test_a_cp1251_file_stored_before_detection_is_served_in_its_charset(session: Session, world) -> None:
    staged = _stage(world, "старое.csv", "Квартира;Цена\r\n15;5000000\r\n".encode("cp1251") * 5)
    row = session.get(Attachment, staged.id)
    row.content_type = "text/csv; charset=utf-8"  # what every text file was given before
    session.add(row)
    session.commit()
    served = attachments.file_for_client(client_id=world["client"].id, attachment_id=staged.id)
    assert served.content_type == "text/csv; charset=windows-1251"


def test_text_charset_refuses_binary_bytes() -> None:
    assert file_types.text_charset(b"MZ\x90\x00\x03\x00") is None
    assert file_types.text_charset(b"\xff\xfe" + "ab\x00c".encode("utf-16-le")) is None
    assert file_types.text_charset(Path(__file__).read_bytes()) == "utf-8"
