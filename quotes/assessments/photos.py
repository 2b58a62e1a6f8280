"""Finding photos: checked with Pillow and re-encoded before they are stored.

Re-encoding drops everything but the pixels (EXIF with GPS positions, embedded scripts or
payloads), applies the camera's rotation and caps the size, so a report stays small.
"""

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_EDGE = 1600
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


class PhotoError(ValueError):
    """The upload is not a photo we accept; the message is shown as is."""


def prepare_photo(upload) -> ContentFile:
    """Validate an uploaded file and return a cleaned JPEG (or PNG, if transparent) of it."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise PhotoError(
            _("The photo is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoError(_("This file is not a JPEG, PNG or WebP image.")) from None
    if image_format not in ALLOWED_FORMATS:
        raise PhotoError(_("This file is not a JPEG, PNG or WebP image."))
    if width * height > MAX_PIXELS:
        raise PhotoError(_("The photo has too many pixels."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_EDGE, MAX_EDGE))
            if image.mode == "P" and "transparency" in image.info:
                image = image.convert("RGBA")
            transparent = "A" in image.getbands()
            out = io.BytesIO()
            if transparent:
                image.save(out, "PNG", optimize=True)
                extension = "png"
            else:
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                extension = "jpg"
    except (OSError, ValueError, Image.DecompressionBombError):
        raise PhotoError(_("This image could not be read.")) from None
    return ContentFile(out.getvalue(), name=f"photo.{extension}")


def media_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"
