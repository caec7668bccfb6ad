"""What a file is, from its bytes (M2): the allow-list, bounded archive checks, text charsets.

Nothing here trusts a name or a header it has not bounded first: a zip is looked at
through its central directory (declared sizes and compression ratios) before any
entry is inflated, and an entry is inflated only up to a hard cap, so a small
upload cannot make the server allocate gigabytes (a zip bomb).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from charset_normalizer import from_bytes

from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

SNIFF_BYTES = 8192
# Enough text for a charset guess that does not hinge on one word.
TEXT_SAMPLE_BYTES = 64 * 1024

HEIF_EXTENSIONS = {".heic", ".heif"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"} | HEIF_EXTENSIONS
# The ISO-BMFF brands of the still images an iPhone (and Android phones set to HEIF) take.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
HEIF_TYPE = "image/heif"
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

# --- archive bounds --------------------------------------------------------------------------
# Real office documents have hundreds of entries; a central directory of millions would cost
# hundreds of megabytes of ZipInfo objects just to open.
MAX_ZIP_ENTRIES = 10_000
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024
# Every entry's declared size is bounded, one by one and together, before anything opens: a
# 40 MB spreadsheet inflates to a few hundred MB, a bomb to gigabytes. A ratio near deflate's
# ceiling (~1030x) is no document either (repetitive sheet XML reaches a few hundred).
MAX_ENTRY_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 1000
RATIO_FREE_BYTES = 1024 * 1024
# The ODF ``mimetype`` entry is one short line; nothing longer is read.
MIMETYPE_CAP = 256
_EOCD = b"PK\x05\x06"
_EOCD_SEARCH = 22 + 65535  # the record plus the longest comment


def _refuse_archive() -> ServiceError:
    return ServiceError(t("error.archive_bomb"), field="file")


def _directory_bounds(path: Path) -> None:
    """Refuse, from the end-of-central-directory record alone, a directory too big to parse."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - _EOCD_SEARCH))
        tail = fh.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return  # not a zip zipfile can open either: the type check refuses it
    entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    # 0xFFFF / 0xFFFFFFFF mean "see the ZIP64 record": no office document needs one.
    if entries > MAX_ZIP_ENTRIES or directory_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _refuse_archive()


def _entry_bounds(info: zipfile.ZipInfo) -> None:
    declared, stored = info.file_size, max(info.compress_size, 1)
    if declared > MAX_ENTRY_BYTES or (declared > RATIO_FREE_BYTES and declared / stored > MAX_RATIO):
        raise _refuse_archive()


def _open_zip(path: Path) -> zipfile.ZipFile | None:
    """The archive with every entry's declared size checked, or None if it is no zip."""
    _directory_bounds(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    try:
        for info in archive.infolist():
            _entry_bounds(info)
        if sum(info.file_size for info in archive.infolist()) > MAX_TOTAL_BYTES:
            raise _refuse_archive()
    except ServiceError:
        archive.close()
        raise
    return archive


def read_entry(archive: zipfile.ZipFile, name: str, cap: int) -> bytes | None:
    """An entry's bytes, inflating at most ``cap`` (+1 to notice a lie); None if missing or bigger.

    The declared size may lie: the cap is what bounds the memory, not the header.
    """
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > cap:
        return None
    _entry_bounds(info)
    try:
        with archive.open(info) as entry:
            data = entry.read(cap + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    return data if len(data) <= cap else None


def _zip_kind(path: Path, ext: str) -> str | None:
    """The OOXML or ODF type an archive with this extension really is, or None."""
    archive = _open_zip(path)
    if archive is None:
        return None
    with archive:
        if ext in OOXML and "[Content_Types].xml" in archive.namelist():
            return OOXML[ext]
        if ext in ODF:
            mimetype = read_entry(archive, "mimetype", MIMETYPE_CAP)
            if mimetype is not None and mimetype.decode("ascii", "replace").strip() == ODF[ext]:
                return ODF[ext]
    return None


# --- text --------------------------------------------------------------------------------------
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
# Russian users' files: UTF-8, Windows' cp1251, old KOI8-R and DOS cp866, Notepad's UTF-16.
TEXT_ENCODINGS = ["utf_8", "cp1251", "koi8_r", "cp866", "utf_16"]
# Python's codec names as browsers know them (the WHATWG labels).
HTTP_CHARSETS = {
    "ascii": "utf-8",
    "utf_8": "utf-8",
    "cp1251": "windows-1251",
    "koi8_r": "koi8-r",
    "cp866": "ibm866",
    "utf_16": "utf-16",
    "utf_16_le": "utf-16le",
    "utf_16_be": "utf-16be",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def text_charset(sample: bytes) -> str | None:
    """The HTTP charset of readable text, or None for bytes that are no text.

    Binaries are full of control bytes; UTF-16 is told by its byte-order mark.
    """
    if not sample.startswith(_UTF16_BOMS) and any(b in _CONTROL for b in sample):
        return None
    best = from_bytes(sample, cp_isolation=TEXT_ENCODINGS).best() if sample else None
    if best is None:
        return None
    if best.encoding.startswith("utf_16") and any(ord(c) < 32 and c not in "\t\n\f\r" for c in str(best)):
        return None
    return HTTP_CHARSETS.get(best.encoding)


def text_type(path: Path, ext: str) -> str | None:
    """``text/plain; charset=…`` (or text/csv) for a readable text file, else None."""
    with path.open("rb") as fh:
        sample = fh.read(TEXT_SAMPLE_BYTES)
    charset = text_charset(sample)
    if charset is None:
        return None
    return ("text/csv" if ext == ".csv" else "text/plain") + f"; charset={charset}"


# --- the allow-list ---------------------------------------------------------------------------
def _image_kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return HEIF_TYPE if _is_heif(head) else None


def sniff(path: Path, filename: str) -> tuple[str, bool]:
    """(content type, is image) from the first bytes, or ServiceError if not on the allow-list.

    The name's extension must agree with the content for documents, so an
    executable renamed ``.jpg`` or ``.pdf`` is refused; an image may carry
    any image extension (phones rename HEIC→JPG and PNG→JPG all the time).
    """
    ext = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    image = _image_kind(head)
    if image is not None:
        if ext not in IMAGE_EXTENSIONS or (ext in HEIF_EXTENSIONS and image != HEIF_TYPE):
            raise ServiceError(t("error.file_type_mismatch"), field="file")
        return image, True
    if head.startswith(b"%PDF-") and ext == ".pdf":
        return "application/pdf", False
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext in OLE:
        return OLE[ext], False
    if head.startswith(b"PK\x03\x04") and (ext in OOXML or ext in ODF):
        if (kind := _zip_kind(path, ext)) is not None:
            return kind, False
    if ext in TEXT_EXTENSIONS and (kind := text_type(path, ext)) is not None:
        return kind, False
    raise ServiceError(t("error.file_type"), field="file")


def _is_heif(head: bytes) -> bool:
    """An ISO-BMFF ``ftyp`` box whose major or compatible brands name a HEIF still image."""
    if head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    brands = head[8:12] + head[16 : min(max(box_size, 16), 256)]
    return any(brands[i : i + 4] in HEIF_BRANDS for i in range(0, len(brands) - 3, 4))
