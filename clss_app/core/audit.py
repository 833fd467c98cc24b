"""Audit rows: one per create, update, delete and action, written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel

from clss_app.core.principal import Principal
from models import AuditLog

BOOKKEEPING = {"version", "updated_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return str(value)
    return value


def snapshot(row: SQLModel | None, names: list[str] | None = None) -> dict[str, Any] | None:
    if row is None:
        return None
    names = names or [n for n in type(row).model_fields if n not in ("password_hash",)]
    return {n: _plain(getattr(row, n)) for n in names}


def record(
    session: Session,
    p: Principal | None,
    resource: str,
    row_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> None:
    if before is not None and after is not None:  # keep only what changed, not the bookkeeping
        changed = [k for k in after if before.get(k) != after.get(k) and k not in BOOKKEEPING]
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    session.add(
        AuditLog(
            user_id=p.user_id if p else None,
            username=p.username if p else "",
            org_unit_id=p.unit_id if p else None,
            resource=resource,
            row_id=row_id,
            action=action,
            summary=summary[:255],
            before=json.dumps(before, ensure_ascii=False) if before is not None else None,
            after=json.dumps(after, ensure_ascii=False) if after is not None else None,
        )
    )
