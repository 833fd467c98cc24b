"""Private files (licences, scans, bank files): stored by content hash under data/private/files, never
public. A row keeps the reference ``<hash>.<ext>/<original name>``; the engine hands a copy out once
through a download ticket, only for a row recorded as holding it (``stored_file_owner``).

The engine's uploads (admin/attachments.py) and the services that write files of their own (the
withholding runs' bank files) store them here alike.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlmodel import Session, SQLModel

from clss_app import settings
from clss_app.core.rows import table_of
from models import StoredFileOwner

FILES_DIR = settings.ROOT / "data" / "private" / "files"
VALUE = re.compile(r"^([0-9a-f]{32}\.(pdf|xlsx|docx|png|jpg|txt))/(.{1,200})$")


def clean_name(filename: str, kind: str) -> str:
    stem = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", Path(filename or "file").stem)[:80] or "file"
    return f"{stem}.{kind}"


def store(data: bytes, filename: str, kind: str, folder: Path | None = None) -> str:
    """Save the bytes; returns the value to keep in the row."""
    folder = folder or FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(data).hexdigest()[:32] + "." + kind
    path = folder / name
    if not path.exists():
        path.write_bytes(data)
    return f"{name}/{clean_name(filename, kind)}"


def shown_name(value: str) -> str:
    m = VALUE.match(value or "")
    return m.group(3) if m else ""


def read(value: str, folder: Path | None = None) -> tuple[bytes, str] | None:
    folder = folder or FILES_DIR
    m = VALUE.match(value or "")
    if not m or not (folder / m.group(1)).exists():
        return None
    return (folder / m.group(1)).read_bytes(), m.group(3)


def own(
    session: Session, model: type[SQLModel], row_id: int, field: str, ref: str, resource: str, username: str
) -> None:
    """Record that the ``model`` row ``row_id``'s ``field`` holds the file ``ref`` (a file a service wrote, not
    an upload), so the row's detail may hand it out."""
    session.add(
        StoredFileOwner(
            table_name=table_of(model).name,
            row_id=row_id,
            field_name=field,
            ref=ref,
            resource=resource,
            username=username,
        )
    )
