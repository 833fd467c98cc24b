"""Which row holds each stored image or attachment, so that a reference cannot be borrowed.

Uploads are stored by content hash and a row keeps only the reference, which any client can
type. So a save accepts a reference only if this form uploaded it in this session or the row
already holds it (``borrowed``), every save records the references a row holds (``record``),
and an attachment is handed out only for a row recorded as holding it (``owns``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin.fields import split_images
from models import StoredFileOwner

UPLOAD_KINDS = ("image", "images", "file")


def refs(spec, value) -> list[str]:
    """The stored references a field's value holds."""
    if spec.kind == "images":
        return split_images(value)
    return [str(value)] if value else []


def borrowed(admin, values: dict, row, uploaded: dict[str, set[str]]) -> dict[str, str]:
    """{field: message} for each reference in ``values`` that this form did not upload and the row does not hold."""
    errors = {}
    for name, value in values.items():
        spec = admin.fields[name]
        if spec.kind not in UPLOAD_KINDS:
            continue
        held = set(refs(spec, getattr(row, name))) if row is not None else set()
        if any(r not in held and r not in uploaded.get(name, ()) for r in refs(spec, value)):
            button = "上传文件" if spec.kind == "file" else "上传图片"
            errors[name] = f"{spec.label}请通过“{button}”选择文件"
    return errors


def record(session: Session, admin, row, username: str) -> None:
    """Make the owner records of ``row`` match the references it holds now (after an insert or update)."""
    table = admin.model.__tablename__
    for name, spec in admin.fields.items():
        if spec.kind not in UPLOAD_KINDS:
            continue
        now = set(refs(spec, getattr(row, name)))
        mine = (
            StoredFileOwner.table_name == table,
            StoredFileOwner.row_id == row.id,
            StoredFileOwner.field_name == name,
        )
        known = set(session.exec(select(StoredFileOwner.ref).where(*mine)).all())
        if known - now:
            session.execute(sa.delete(StoredFileOwner).where(*mine, StoredFileOwner.ref.in_(known - now)))
        session.add_all(
            StoredFileOwner(
                table_name=table, row_id=row.id, field_name=name, ref=ref, resource=admin.key, username=username
            )
            for ref in now - known
        )


def owns(session: Session, model, row_id: int, name: str, ref: str) -> bool:
    return (
        session.exec(
            select(StoredFileOwner.id).where(
                StoredFileOwner.table_name == model.__tablename__,
                StoredFileOwner.row_id == row_id,
                StoredFileOwner.field_name == name,
                StoredFileOwner.ref == ref,
            )
        ).first()
        is not None
    )


def forget(session: Session, model, row_id: int) -> None:
    """A deleted row holds nothing any more."""
    session.execute(
        sa.delete(StoredFileOwner).where(
            StoredFileOwner.table_name == model.__tablename__, StoredFileOwner.row_id == row_id
        )
    )
