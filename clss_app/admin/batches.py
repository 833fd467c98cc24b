"""Import batches (导入批次): each committed import is one batch; a batch of today can be cancelled.

Cancelling removes exactly the rows that batch inserted (they carry its id in
``import_batch_id``) and nothing else, all or nothing: if any of them is out
of the user's data scope, already in use (the admin's ``cancel_problem``) or
referenced by other data, nothing is removed and the reason is reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin import audit
from clss_app.admin.fields import SHANGHAI, column
from clss_app.admin.site import served
from clss_app.admin.view import ActionContext, ActionResult, ModelAdmin
from clss_app.core import clock
from clss_app.core.rows import changed, table_of
from clss_app.services.permissions import IMPORT, NOT_FOUND, Principal, can
from models import BatchState, ImportBatch, utcnow
from models.imports import batch_title

SHOWN_PROBLEMS = 3


def open_batch(session: Session, admin: type[ModelAdmin], p: Principal, filename: str, total: int) -> ImportBatch:
    now = utcnow()
    batch = ImportBatch(
        title=batch_title(admin.import_scene, now, filename),
        resource=admin.key,
        scene=admin.import_scene,
        filename=filename[:128],
        user_id=p.actor_id,
        username=p.username,
        org_unit_id=p.unit_id,
        total=total,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    return batch


def _is_today(moment: datetime) -> bool:
    return moment.astimezone(SHANGHAI).date() == clock.today()


def cancel(ctx: ActionContext) -> ActionResult:
    result = ActionResult()
    batch: ImportBatch
    for batch in ctx.rows:
        reason = _cancel_one(ctx.session, ctx.principal, batch)
        if reason:
            result.refused.append((batch.title, reason))
        else:
            result.done += 1
    return result


def _cancel_one(session: Session, p: Principal, batch: ImportBatch) -> str:
    if batch.state != BatchState.IMPORTED:
        return "该批次已撤销"
    if not _is_today(batch.created_at):
        return "只能撤销当天导入的批次"
    site = served()  # the batch names its admin by key: the app's, whichever admin lists the batches
    admin = site.admin(batch.resource) if batch.resource in site else None
    if admin is None or "import_batch_id" not in admin.model.model_fields:
        return "该导入模块不支持撤销"
    if not can(p, IMPORT, admin.key):  # cancelling deletes the scene's rows: the importer's right, not the viewer's
        return f"您的角色不能办理{batch.scene}，不能撤销该批次"
    model, of_batch = admin.model, column(admin.model, "import_batch_id") == batch.id
    rows: list[Any] = list(session.exec(select(model).where(of_batch)).all())
    problems = []
    for row in rows:
        if admin.scope and not admin.scope.allows(p, getattr(row, admin.scope.column)):
            problems.append(f"#{row.id}：{NOT_FOUND}")  # no label of a row outside the scope
            continue
        why = admin.cancel_problem(row)
        if why:
            problems.append(f"{admin.row_label(row)}{why}")
    if problems:
        more = f"等 {len(problems)} 条" if len(problems) > SHOWN_PROBLEMS else ""
        return "；".join(problems[:SHOWN_PROBLEMS]) + more + "，未撤销"
    table = table_of(ImportBatch)
    try:
        with session.begin_nested() as savepoint:
            session.execute(sa.delete(model).where(of_batch))
            # From 已导入 only: a cancel of the same batch at the same moment wins once.
            if not changed(
                session,
                sa.update(table)
                .where(table.c.id == batch.id, table.c.state == BatchState.IMPORTED)
                .values(
                    state=BatchState.CANCELLED,
                    cancelled_at=utcnow(),
                    cancelled_by_id=p.actor_id,
                    version=table.c.version + 1,
                ),
            ):
                savepoint.rollback()
                return "该批次已撤销"
    except sa.exc.IntegrityError:
        return "导入的数据已被其他数据引用，未撤销"
    session.refresh(batch)
    audit.record(
        session, p, batch.resource, None, "cancel_import", summary=f"撤销导入批次 {batch.title}，删除 {len(rows)} 条"
    )
    return ""
