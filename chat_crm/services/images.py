"""Pictures in messages (P7): decoded with a bound, a thumbnail beside each, HEIC made JPEG.

An image must decode: it gets a small JPEG thumbnail beside it
(``<storage_key>.thumb.jpg``), and an iPhone HEIC/HEIF photo is stored as JPEG,
so every browser can show it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps

from chat_crm.services.errors import ServiceError
from chat_crm.services.file_types import HEIF_TYPE
from chat_crm.texts import t

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


def process_image(path: Path, content_type: str) -> str:
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
