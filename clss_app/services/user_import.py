"""用户导入's rules: who may import, which rows may change, and the 住房云 check that turns a 待创建 row
into a tenant (创建成功), a refusal (创建失败, with 住房云's reason) or 已存在.

A check asks 住房云 with no transaction open, then moves the row once: a conditional update from the
state and version it was read in (an edit or a second batch in between wins, nothing is done twice),
creating the tenant in the same transaction. 住房云 away leaves the row 待创建 with the reason, so the
next batch tries again with the same request number (住房云 answers it as before).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from clss_app import db
from clss_app.core import audit
from clss_app.core.clock import SHANGHAI
from clss_app.core.rows import changed, saved_id
from clss_app.services import housing_cloud as hc
from clss_app.services.permissions import Principal
from models import ImportedUser, OrgUnit, Tenant, UserImportState, utcnow

S = UserImportState
RESOURCE = "user_imports"
EDITABLE = (S.PENDING, S.FAILED)  # the rows 编辑 applies to: a created (or existing) user is read only
log = logging.getLogger(__name__)


def operating_problem(session: Session, company_id: int | None) -> str:
    """用户导入 is closed to 运营类 companies (manual: 本功能不对“运营类”企业开放)."""
    company = session.get(OrgUnit, company_id) if company_id is not None else None
    return "运营类企业不开放用户导入" if company is not None and company.is_operating else ""


def tenant_edit_problem(p: Principal, tenant: Tenant | None) -> str:
    """租客信息修改: a company edits only the tenants it created itself (not another company's, even one
    inside a custom data scope)."""
    if tenant is None or tenant.company_id == p.unit_id:
        return ""
    return "只能修改本企业创建的租客"


def cancel_problem(row: ImportedUser) -> str:
    """A batch's users may be removed while none has become a tenant yet."""
    return "已创建客户" if row.tenant_id is not None else ""


def ask(cloud: hc.HousingCloud, person: hc.Person) -> hc.Verdict | str:
    """住房云's verdict, or the reason it gave none (the row stays 待创建)."""
    try:
        return cloud.verify(person)
    except hc.HousingCloudError as exc:
        return str(exc)


def _tenant_for(session: Session, person: hc.Person) -> tuple[int, bool]:
    """The company's tenant for this person: (id, whether it was there already)."""
    found = session.exec(
        select(Tenant.id).where(
            Tenant.company_id == person.company_id,
            sa.or_(Tenant.phone == person.phone, Tenant.id_number == person.id_number),
        )
    ).first()
    if found is not None:
        return found, True
    tenant = Tenant(company_id=person.company_id, name=person.name, phone=person.phone, id_number=person.id_number)
    session.add(tenant)
    session.flush()
    assert tenant.id is not None
    return tenant.id, False


def outcome(session: Session, person: hc.Person, verdict: hc.Verdict | str) -> dict[str, Any]:
    """The row's new values for ``verdict`` (creating the tenant when 住房云 registered the person)."""
    now = utcnow()
    if isinstance(verdict, str):
        return {"state": S.PENDING, "reason": verdict[:255], "checked_at": now}
    if verdict.code == hc.REFUSED:
        return {"state": S.FAILED, "reason": (verdict.message or "住房云验证未通过")[:255], "checked_at": now}
    if verdict.code == hc.EXISTS:
        return {"state": S.EXISTS, "reason": verdict.message or "住房云已存在该用户", "checked_at": now}
    tenant_id, there = _tenant_for(session, person)
    if there:
        return {"state": S.EXISTS, "reason": "本企业已有该客户", "tenant_id": tenant_id, "checked_at": now}
    return {"state": S.CREATED, "reason": "", "tenant_id": tenant_id, "checked_at": now}


def settle(
    session: Session, p: Principal | None, row_id: int, version: int, person: hc.Person, verdict: hc.Verdict | str
) -> UserImportState | None:
    """Moves the 待创建 row read at ``version`` by ``verdict``; None if it changed meanwhile (then nothing)."""
    savepoint = session.begin_nested()
    values = outcome(session, person, verdict)
    stmt = (
        sa.update(ImportedUser)
        .where(
            col(ImportedUser.id) == row_id,
            col(ImportedUser.state) == S.PENDING,
            col(ImportedUser.version) == version,
        )
        .values(**values, version=col(ImportedUser.version) + 1)
    )
    if changed(session, stmt) != 1:
        savepoint.rollback()  # no tenant made for a row that moved on
        return None
    savepoint.commit()
    state: UserImportState = values["state"]
    summary = f"住房云验证 {person.name}：{state.label}" + (f"（{values['reason']}）" if values["reason"] else "")
    audit.record(session, p, RESOURCE, row_id, "verify", summary=summary[:255])
    return state


def check_now(session: Session, p: Principal, values: dict[str, Any], cloud: hc.HousingCloud | None = None) -> str:
    """单个新增 with 是否直接创建客户: 住房云 checks the new row before it is saved (``values`` get its
    outcome); the note for the user."""
    person = hc.Person(int(values["company_id"]), values["name"], values["id_number"], values["phone"])
    verdict = ask(cloud or hc.client(), person)
    values.update(outcome(session, person, verdict))
    state: UserImportState = values["state"]
    if state == S.CREATED:
        return "住房云验证通过，已创建客户"
    if state == S.PENDING:
        return f"{values['reason']}，该用户为待创建，将在夜间跑批时重新验证"
    return f"住房云验证结果：{state.label}（{values['reason']}）"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


def run_due(today: date, cloud: hc.HousingCloud | None = None, p: Principal | None = None) -> dict[str, int]:
    """The T+1 batch: every 待创建 row imported before ``today`` (Shanghai) checked with 住房云. Run twice,
    the second run finds nothing left to do (or retries only those 住房云 left unanswered)."""
    cloud = cloud or hc.client()
    with db.session_scope() as s:
        due = s.exec(
            select(ImportedUser)
            .where(col(ImportedUser.state) == S.PENDING, col(ImportedUser.created_at) < _day_start(today))
            .order_by(col(ImportedUser.id))
        ).all()
    keys = {
        S.CREATED: "users_created",
        S.FAILED: "users_failed",
        S.EXISTS: "users_existing",
        S.PENDING: "users_waiting",
    }
    done = dict.fromkeys(keys.values(), 0)
    for row in due:
        person = hc.Person(row.company_id, row.name, row.id_number, row.phone)
        verdict = ask(cloud, person)  # no transaction open while 住房云 answers
        with db.session_scope() as s:
            state = settle(s, p, saved_id(row), row.version, person, verdict)
        if state is not None:
            done[keys[state]] += 1
    if done["users_waiting"]:
        log.warning("住房云: %d imported users left waiting", done["users_waiting"])
    return done
