"""Audit trail: one row per create, update, delete and action, in the same transaction."""
from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal

from sqlmodel import Session, SQLModel, select

from clss_app.services.permissions import Principal
from models import AuditLog


BOOKKEEPING = {"version", "updated_at"}
ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除", "import": "导入", "export": "导出"}


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    return value


def snapshot(row: SQLModel | None, names: list[str] | None = None) -> dict | None:
    if row is None:
        return None
    names = names or [n for n in type(row).model_fields if n not in ("password_hash",)]
    return {n: _plain(getattr(row, n)) for n in names}


def record(session: Session, p: Principal | None, resource: str, row_id: int | None, action: str,
           before: dict | None = None, after: dict | None = None, summary: str = "") -> None:
    if before is not None and after is not None:  # keep only what changed, not the bookkeeping
        changed = [k for k in after if before.get(k) != after.get(k) and k not in BOOKKEEPING]
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    session.add(AuditLog(
        user_id=p.user_id if p else None, username=p.username if p else "",
        org_unit_id=p.unit_id if p else None, resource=resource,
        row_id=row_id, action=action, summary=summary[:255],
        before=json.dumps(before, ensure_ascii=False) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False) if after is not None else None))


def history(session: Session, resource: str, row_id: int, limit: int = 50) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.resource == resource, AuditLog.row_id == row_id)
                             .order_by(AuditLog.id.desc()).limit(limit)).all())
