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
ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "import": "导入",
    "export": "导出",
    "download": "下载",
    "cancel_import": "撤销导入",
}


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


def record(
    session: Session,
    p: Principal | None,
    resource: str,
    row_id: int | None,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
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


def history(session: Session, resource: str, row_id: int, limit: int = 50) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.resource == resource, AuditLog.row_id == row_id)
            .order_by(AuditLog.id.desc())
            .limit(limit)
        ).all()
    )


def _shown(session: Session, spec, value) -> str:
    """A stored value of an audit snapshot, as the form showed it."""
    from clss_app.admin.query import labels_for

    if value in (None, ""):
        return "（空）"
    if spec.kind == "enum":
        try:
            return spec.enum(value).label
        except ValueError:
            return str(value)
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "fk":
        return str(labels_for(session, spec, [value]).get(value, f"#{value}"))
    if spec.kind in ("file", "image"):
        return spec.display(value) if spec.kind == "file" else "新图片"
    return str(value)


def describe(session: Session, admin, entry: AuditLog, p=None) -> str:
    """What an update changed, for people: "角色：店长 → 财务；营业执照：（空）→ 执照.pdf".

    Only the fields ``p``'s role may see: a hidden field's changes are hidden too."""
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    parts, names = [], list(dict.fromkeys([*before, *after]))
    for name in admin.visible(p, names):
        spec = admin.fields.get(name)
        if spec is None or name in BOOKKEEPING:
            continue
        if name in before and name in after:
            was, now = _shown(session, spec, before[name]), _shown(session, spec, after[name])
            parts.append(f"{spec.label}：{was} → {now}")
        else:
            parts.append(f"{spec.label}：{_shown(session, spec, after.get(name, before.get(name)))}")
    return "；".join(parts)
