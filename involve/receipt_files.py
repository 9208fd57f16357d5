"""Receipt files: checked by what they contain, never by their name or the browser's say-so.

    JPEG, PNG,       opened by Pillow (HEIC through pillow-heif) with a pixel limit (a decompression
    WebP, HEIC       bomb is refused, not half-decoded), then re-encoded: EXIF (GPS, camera, times)
                     and every other metadata block is dropped; the photo is turned upright first.
                     PNG stays PNG (screenshots of e-tickets keep their sharp text); every other
                     picture becomes a JPEG, which any member of staff's browser shows.
    PDF              parsed by pypdf; refused when encrypted, or when any object carries JavaScript,
                     an embedded file, a launch action or rich media.

`check(name, data)` answers a `CheckedFile` or raises `FileRefused` whose message names the file (in
the language in use: the messages are for the person who sent the file).
"""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from involve.errors import InvolveError
from involve.i18n import _

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty for a receipt
ACCEPT = ("image/jpeg,image/png,image/webp,image/heic,image/heif,application/pdf,"
          ".jpg,.jpeg,.png,.webp,.heic,.heif,.pdf")
# ISO base media files (ftyp box) whose brand says HEIF/HEIC: what iPhones save photos as
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")
PDF_DANGER = ("/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/Launch", "/RichMedia", "/XFA",
              "/SubmitForm", "/ImportData")


class FileRefused(InvolveError):
    """A file that is not a receipt we can keep: the message names the file and says why."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def safe_name(name: str | None) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "receipt"
    return base[:200]


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check(name: str | None, data: bytes) -> CheckedFile:
    name = safe_name(name)
    if len(data) > MAX_BYTES:
        raise FileRefused(_("%(name)s is larger than 10 MB. Send a smaller photo or PDF.", name=name))
    if not data:
        raise FileRefused(_("%(name)s is empty. Choose the photo or PDF of your receipt again.", name=name))
    kind = sniff(data)
    if kind is None:
        raise FileRefused(_("%(name)s is not a photo or PDF. Send a JPEG, PNG, HEIC or WebP photo, or a PDF, "
                            "of your receipt.", name=name))
    if kind == "application/pdf":
        _check_pdf(name, data)
        return CheckedFile(name, kind, data)
    return _reencode_image(name, data, kind)


def _open_heif() -> None:
    """Let Pillow open HEIC/HEIF (iPhone photos) through pillow-heif; once, on first use."""
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False)


PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF"}


def _reencode_image(name: str, data: bytes, kind: str) -> CheckedFile:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    if data[4:8] == b"ftyp":
        _open_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PILLOW_FORMAT[kind]]) as img:  # only what it said it was
                if img.width * img.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                img.load()
                upright = ImageOps.exif_transpose(img)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and
                                                                      "transparency" in upright.info)
                out = io.BytesIO()
                if img.format == "PNG":
                    upright.convert("RGBA" if has_alpha else "RGB").save(out, format="PNG", optimize=True)
                    kind = "image/png"
                else:  # JPEG, WebP, HEIC: a JPEG (see-through parts on white)
                    rgb = upright.convert("RGB")
                    if has_alpha:
                        rgb = Image.new("RGB", upright.size, (255, 255, 255))
                        rgb.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
                    rgb.save(out, format="JPEG", quality=85)
                    kind = "image/jpeg"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(_("%(name)s is too large a picture to open safely. Send a smaller photo.",
                            name=name)) from None
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - any decoding failure means the same thing to the person
        raise FileRefused(_("%(name)s could not be opened as a picture. Send a JPEG, PNG, HEIC or WebP photo, "
                            "or a PDF.", name=name)) from None
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return CheckedFile(f"{stem}.{'png' if kind == 'image/png' else 'jpg'}", kind, out.getvalue())


def _check_pdf(name: str, data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    refused = FileRefused(_("%(name)s contains scripts or attached files. Send a plain PDF or a photo instead.",
                            name=name))
    raw = data.replace(b"#4A", b"J").replace(b"#53", b"S")  # names may be hex-escaped: /#4A#53
    if any(token.encode() + end in raw for token in PDF_DANGER for end in (b" ", b"/", b"(", b"<", b"\n", b"\r")):
        raise refused
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRefused(_("%(name)s is protected with a password. Send a PDF without a password.",
                                name=name))
        seen: set[int] = set()

        def walk(obj, depth: int = 0) -> None:
            if depth > 50:
                return
            if isinstance(obj, IndirectObject):
                if obj.idnum in seen:
                    return
                seen.add(obj.idnum)
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                if any(str(k) in PDF_DANGER for k in obj) or str(obj.get("/S", "")) in PDF_DANGER:
                    raise refused
                for value in obj.values():
                    walk(value, depth + 1)
            elif isinstance(obj, ArrayObject):
                for value in obj:
                    walk(value, depth + 1)

        walk(reader.trailer)
        if reader.attachments:
            raise refused
        if len(reader.pages) == 0:
            raise FileRefused(_("%(name)s has no pages.", name=name))
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - a PDF pypdf cannot read is not one we keep
        raise FileRefused(_("%(name)s could not be opened as a PDF. Send a photo of the receipt instead.",
                            name=name)) from None
