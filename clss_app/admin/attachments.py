"""Private attachments (licences, scans, signed papers): checked by content, stored by hash.

Unlike images (media.py), attachments are never public: the stored value
is ``<hash>.<ext>/<original name>``, the bytes live under data/private, and
a copy is handed out once through a download ticket after the engine has
checked that the user may see the row.
"""

from __future__ import annotations

from pathlib import Path

from clss_app.admin import zipcheck
from clss_app.core import private_files
from clss_app.core.errors import FieldError

FILES_DIR = private_files.FILES_DIR
VALUE = private_files.VALUE
# "txt": files the app writes itself (a withholding run's bank files), never accepted as an upload.
KINDS = {"pdf": "PDF", "xlsx": "Excel", "docx": "Word", "png": "PNG", "jpg": "JPG", "txt": "文本"}
DEFAULT_TYPES = ("pdf", "jpg", "png")
DEFAULT_MAX_MB = 10
ACCEPT = {
    "pdf": {"application/pdf": [".pdf"]},
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"]},
    "png": {"image/png": [".png"]},
    "jpg": {"image/jpeg": [".jpg", ".jpeg"]},
    "txt": {"text/plain": [".txt"]},
}


def sniff(data: bytes, filename: str) -> str | None:
    """The type from the first bytes (a zip is told apart by its name's suffix)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        suffix = Path(filename).suffix.lower().lstrip(".")
        return suffix if suffix in ("xlsx", "docx") else None
    return None


def check(data: bytes, filename: str, label: str, types=DEFAULT_TYPES, max_mb: int = DEFAULT_MAX_MB) -> str:
    if not data:
        raise FieldError(f"{label}文件为空")
    if len(data) > max_mb * 1024 * 1024:
        raise FieldError(f"{label}不能超过 {max_mb} MB（当前 {len(data) / 1024 / 1024:.1f} MB）")
    kind = sniff(data, filename)
    if kind is None or kind not in types:
        raise FieldError(f"{label}须为 {'、'.join(KINDS[t] for t in types)} 文件")
    if kind in ("xlsx", "docx"):  # zips: whoever opens one later must not unpack a bomb
        try:
            zipcheck.check(data)
        except zipcheck.ZipRefused as exc:
            raise FieldError(f"{label}：{exc}") from None
    return kind


def clean_name(filename: str, kind: str) -> str:
    return private_files.clean_name(filename, kind)


def store(data: bytes, filename: str, kind: str) -> str:
    """Save the bytes; returns the value to keep in the row."""
    return private_files.store(data, filename, kind, FILES_DIR)


def shown_name(value: str) -> str:
    return private_files.shown_name(value)


def read(value: str) -> tuple[bytes, str] | None:
    return private_files.read(value, FILES_DIR)
