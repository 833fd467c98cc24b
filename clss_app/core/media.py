"""Uploaded images: checked by content (not by name), stored by hash, served read-only.

Images are what tenants see (covers, photos), so serving them needs no login;
storing one does, and goes through an engine handler that checks the role.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib

from starlette.responses import FileResponse, PlainTextResponse

from clss_app import settings
from clss_app.core.errors import FieldError

MEDIA_DIR = settings.ROOT / "data" / "media"
ROUTE = "/_clss/media"
NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}
DEFAULT_MAX_MB = 5


def sniff(data: bytes) -> str | None:
    """The image type from its first bytes; a renamed .exe is not a .jpg."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def dimensions(data: bytes, ext: str) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG or JPEG; None if unknown."""
    if ext == ".png" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if ext == ".jpg":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
    return None


def check_image(data: bytes, label: str, max_mb: int = DEFAULT_MAX_MB, ratio: tuple[int, int] | None = None) -> str:
    """The extension to store ``data`` under, or a FieldError saying what is wrong."""
    if not data:
        raise FieldError(f"{label}文件为空")
    if len(data) > max_mb * 1024 * 1024:
        raise FieldError(f"{label}不能超过 {max_mb} MB（当前 {len(data) / 1024 / 1024:.1f} MB）")
    ext = sniff(data)
    if ext is None:
        raise FieldError(f"{label}须为 JPG、PNG 或 WebP 图片")
    if ratio:
        size = dimensions(data, ext)
        if size and abs(size[0] * ratio[1] - size[1] * ratio[0]) > max(size) * 0.02 * ratio[1]:
            raise FieldError(f"{label}宽高比须为 {ratio[0]}:{ratio[1]}（当前 {size[0]}×{size[1]}）")
    return ext


def solid_png(width: int, height: int, rgb=(37, 99, 235)) -> bytes:
    """A real PNG of one colour, made without an imaging library (demo data, tests)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def name_for(data: bytes, ext: str) -> str:
    """The name ``store`` keeps ``data`` under: by content, so the same image is stored once."""
    return hashlib.sha256(data).hexdigest()[:32] + ext


def store(data: bytes, ext: str) -> str:
    MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    name = name_for(data, ext)
    path = MEDIA_DIR / name
    if not path.exists():
        path.write_bytes(data)
    return name


NOSNIFF = {"X-Content-Type-Options": "nosniff"}


async def serve(request):
    """A stored image, only if its bytes are still the type its name says (a file put or changed in
    data/media by other means is not served as an image), and never sniffed by the browser."""
    name = request.path_params["name"]
    path = MEDIA_DIR / name
    if not NAME.match(name) or not path.is_file() or _head_type(path) != "." + name.rsplit(".", 1)[1]:
        return PlainTextResponse("图片不存在", status_code=404, headers=NOSNIFF)
    return FileResponse(
        path,
        media_type=TYPES["." + name.rsplit(".", 1)[1]],
        headers={"Cache-Control": "public, max-age=31536000, immutable", **NOSNIFF},
    )


def _head_type(path) -> str | None:
    with path.open("rb") as f:
        return sniff(f.read(12))
