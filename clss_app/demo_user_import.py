"""Demo step for 用户导入, in the first company (not 运营类): yesterday's imported batch, already through
the nightly 住房云 check (two 创建成功 with their tenants, one 创建失败 with 住房云's reason, one 已存在),
and today's, two 待创建 waiting for tonight's batch. The ID numbers are the sandbox's, so a check run
again answers the same."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from clss_app.core.rows import saved_id
from clss_app.sandbox import housing_cloud as sandbox
from models import ImportBatch, ImportedUser, Tenant, User, UserImportState, utcnow
from models.imports import batch_title

S = UserImportState
REFUSED_ID = next(iter(sandbox.REFUSED))
EXISTING_ID = sorted(sandbox.EXISTING)[0]
YESTERDAY = [
    ("周明轩", "13911020301", "110101198805120012", S.CREATED, ""),
    ("吴思琪", "13911020302", "110108199103070021", S.CREATED, ""),
    ("郑浩然", "13911020303", REFUSED_ID, S.FAILED, sandbox.REFUSED[REFUSED_ID]),
    ("王雨桐", "13911020304", EXISTING_ID, S.EXISTS, "住房云已存在该用户"),
]
TODAY = [
    ("冯嘉怡", "13911020305", "110105199507150045"),
    ("陈子豪", "13911020306", "110102199612250057"),
]


def seed_user_imports(ctx) -> None:
    s, company = ctx.session, ctx.ids["company"][0]
    manager = s.exec(select(User.id).where(User.username == "manager")).one()
    now = utcnow()
    yesterday = now - timedelta(days=1)
    batches = []
    for when, rows in ((yesterday, YESTERDAY), (now, TODAY)):
        batch = ImportBatch(
            title=batch_title("用户导入", when, "用户导入模板.xlsx"),
            resource="user_imports",
            scene="用户导入",
            filename="用户导入模板.xlsx",
            user_id=manager,
            username="manager",
            org_unit_id=company,
            total=len(rows),
            created_at=when,
        )
        s.add(batch)
        s.flush()
        batches.append(saved_id(batch))
    for name, phone, id_number, state, reason in YESTERDAY:
        tenant_id = None
        if state == S.CREATED:
            tenant = Tenant(company_id=company, name=name, phone=phone, id_number=id_number, created_at=now)
            s.add(tenant)
            s.flush()
            tenant_id = tenant.id
        s.add(
            ImportedUser(
                company_id=company,
                name=name,
                phone=phone,
                id_number=id_number,
                state=state,
                reason=reason,
                tenant_id=tenant_id,
                import_batch_id=batches[0],
                created_at=yesterday,
                checked_at=now - timedelta(hours=6),
            )
        )
    for name, phone, id_number in TODAY:
        s.add(ImportedUser(company_id=company, name=name, phone=phone, id_number=id_number, import_batch_id=batches[1]))
    s.flush()
    ctx.counts["导入用户"] = len(YESTERDAY) + len(TODAY)
