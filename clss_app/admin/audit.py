"""Audit trail as the engine shows it: a row's history and what an update changed, for people.

Writing the rows is ``clss_app.core.audit`` (services write them too); ``record`` and ``snapshot``
are re-exported here for the engine's modules.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from clss_app.admin import privacy
from clss_app.admin.query import labels_for
from clss_app.core.audit import BOOKKEEPING
from clss_app.core.audit import record as record
from clss_app.core.audit import snapshot as snapshot
from models import AuditLog

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "import": "导入",
    "export": "导出",
    "download": "下载",
    "cancel_import": "撤销导入",
    "reveal": "查看完整信息",
}


def history(session: Session, resource: str, row_id: int, limit: int = 50) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.resource == resource, AuditLog.row_id == row_id)
            .order_by(AuditLog.id.desc())
            .limit(limit)
        ).all()
    )


def _shown(session: Session, spec, value, p) -> str:
    """A stored value of an audit snapshot, as the form showed it (to ``p``: personal numbers masked)."""
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
    return privacy.shown(spec, p, str(value))


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
            was, now = _shown(session, spec, before[name], p), _shown(session, spec, after[name], p)
            parts.append(f"{spec.label}：{was} → {now}")
        else:
            parts.append(f"{spec.label}：{_shown(session, spec, after.get(name, before.get(name)), p)}")
    return "；".join(parts)
