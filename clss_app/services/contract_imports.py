"""合同批量导入 and its T+1 batch (manual: 合同批量导入; domain guide: T+1).

An imported row names only 房间, 租客 (an existing tenant of the company, by 证件号码 or 手机号) and 租期;
rent and deposit are the room's, 账单类型 and 缴费周期 the project's 在线签约设置, and the company must
have 批量代扣 (企业参数 代扣开启). Rows wait as 待确认, are confirmed (待执行, on a Shanghai day D) or
sent back, deleted while not yet real, and the nightly batch of day D signs every row confirmed on or
before D exactly as back-office signing does (``leasing.sign``'s steps: the room 空闲可租 → 待入住, the
contract number, ``bills.generate`` for the whole term), each row claimed by one conditional update:
a batch run twice, or by two workers at once, signs nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.memo import memo
from clss_app.core.privacy import mask
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, table_of
from clss_app.services import bills, leasing, room_status, signing, withhold_agreements
from clss_app.services.permissions import Principal
from models import (
    AuditLog,
    Contract,
    ContractImport,
    ContractSource,
    ImportState,
    PayCycle,
    Project,
    Room,
    RoomStatus,
    Tenant,
    utcnow,
)

RESOURCE = "contract_imports"
CHUNK = 2_000  # rows signed in one transaction by the batch (fewer commits; a chunk's bills are one executemany)
DELETABLE = (ImportState.PENDING, ImportState.CONFIRMED, ImportState.FAILED)
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- import


def _project(session: Session, project_id: int) -> tuple[Project | None, str]:
    def load() -> tuple[Project | None, str]:
        project = session.get(Project, project_id)
        return project, (signing.import_problem(session, project) if project is not None else "")

    return memo(session, ("contract_import_project", project_id), load)


def find_tenant(session: Session, company_id: int, ref: str) -> Tenant | None:
    """The company's tenant whose 身份证号 or 手机号 is ``ref``."""
    ref = ref.strip().upper()
    return session.exec(
        select(Tenant)
        .where(Tenant.company_id == company_id, sa.or_(Tenant.id_number == ref, Tenant.phone == ref))
        .order_by(Tenant.id)
    ).first()


def row_problems(session: Session, values: dict[str, Any]) -> dict[str, str]:
    """{field: message} of one imported row (the engine reports it with the row's number)."""
    project, why = _project(session, values.get("project_id") or 0)
    if project is None:
        return {}
    if why:
        return {"project_id": why}
    out: dict[str, str] = {}
    room = session.get(Room, values.get("room_id") or 0)
    if room is not None:
        if room.status != RoomStatus.VACANT:
            out["room_id"] = f"房间 {room.number} 当前为{room.status.label}，只能导入空闲可租房间的合同"
        elif _open_import_of(session, room.id or 0):
            out["room_id"] = f"房间 {room.number} 已有待确认或待执行的导入合同"
        else:
            seen: dict[int, int] = memo(session, "contract_import_rooms", dict)
            if room.id in seen:
                out["room_id"] = f"房间 {room.number} 在本文件中重复"
            seen[room.id or 0] = 1
        out.update(leasing.contract_problems_terms(values.get("start_date"), values.get("end_date"), None))
    ref = str(values.get("tenant_ref") or "")
    if ref and find_tenant(session, project.company_id, ref) is None:
        out["tenant_ref"] = f"本企业没有证件号码或手机号为“{ref}”的租客，请先在租客管理中登记"
    return out


def _open_import_of(session: Session, room_id: int) -> bool:
    return (
        session.exec(
            select(ContractImport.id).where(
                ContractImport.room_id == room_id, ContractImport.state.in_(signing.OPEN_IMPORTS)
            )
        ).first()
        is not None
    )


def prepare(session: Session, p: Principal, values: dict[str, Any]) -> None:
    """What a row records besides the file's cells: the tenant, the room's rent and deposit, the project's
    账单类型 and 缴费周期, who imported it."""
    project = session.get_one(Project, values["project_id"])
    room = session.get_one(Room, values["room_id"])
    tenant = find_tenant(session, project.company_id, values["tenant_ref"])
    values.update(
        tenant_ref=values["tenant_ref"].strip().upper(),
        tenant_id=tenant.id if tenant is not None else None,
        monthly_rent=room.rent,
        deposit=room.deposit,
        bill_mode=project.bill_mode,
        cycle=project.pay_cycle or PayCycle.MONTHLY,
        created_by_id=p.actor_id,
    )


def cancel_problem(row: ContractImport) -> str:
    """Why cancelling the row's import batch may not remove it: it is a real contract by now."""
    if row.state == ImportState.FORMAL:
        return f"已生成正式合同 {row.contract_no}"
    return ""


# ---------------------------------------------------------------- confirm, send back, delete


def _move(session: Session, row: ContractImport, old: ImportState, **changes: Any) -> bool:
    return leasing._conditional(session, ContractImport, row, old, **changes)


def _label(row: ContractImport) -> str:
    return f"导入合同#{row.id}"


def confirm(ctx: ActionContext) -> ActionResult:
    """确认 / 批量确认: the rows wait for the nightly batch of today (Asia/Shanghai)."""
    result = ActionResult()
    today = clock.today()
    for row in ctx.rows:
        if row.state != ImportState.PENDING:
            result.refused.append((_label(row), f"当前为{row.state.label}"))
        elif _move(
            ctx.session,
            row,
            ImportState.PENDING,
            state=ImportState.CONFIRMED,
            confirmed_on=today,
            confirmed_by_id=ctx.principal.actor_id,
        ):
            result.done += 1
        else:
            result.refused.append((_label(row), "已被他人处理，请刷新"))
    if result.done:
        result.notes.append(f"将在 {today} 日终批处理后生成正式合同")
    return result


def unconfirm(ctx: ActionContext) -> ActionResult:
    """取消确认: back to 待确认 while the batch has not taken it."""
    result = ActionResult()
    for row in ctx.rows:
        if row.state != ImportState.CONFIRMED:
            result.refused.append((_label(row), f"当前为{row.state.label}"))
        elif _move(
            ctx.session, row, ImportState.CONFIRMED, state=ImportState.PENDING, confirmed_on=None, confirmed_by_id=None
        ):
            result.done += 1
        else:
            result.refused.append((_label(row), "已被他人处理或已生成正式合同，请刷新"))
    return result


def delete(ctx: ActionContext) -> ActionResult:
    """删除 / 批量删除: a row not yet a real contract goes; it may be imported again."""
    result = ActionResult()
    for row in ctx.rows:
        gone = row.state in DELETABLE and changed(
            ctx.session,
            sa.delete(ContractImport).where(
                ContractImport.id == row.id, ContractImport.state == row.state, ContractImport.version == row.version
            ),
        )
        if gone:
            ctx.session.add(
                AuditLog(
                    user_id=ctx.principal.user_id,
                    username=ctx.principal.username,
                    org_unit_id=ctx.principal.unit_id,
                    resource=RESOURCE,
                    row_id=row.id,
                    action="delete",
                    summary=f"删除{_label(row)}（{row.state.label}）",
                )
            )
            result.done += 1
        else:
            result.refused.append((_label(row), f"当前为{row.state.label}，只能删除待确认或待执行的导入合同"))
    return result


def change_card(ctx: ActionContext) -> ActionResult:
    """修改代扣银行卡号 of the row's tenant (an imported contract's, or a contract's): the agreement in force
    ends and one on the new card begins."""
    result = ActionResult()
    if len(ctx.rows) != 1:
        result.refused.append(("银行卡号", "一次只能修改一位租客的代扣银行卡号"))
        return result
    for row in ctx.rows:
        tenant = ctx.session.get(Tenant, row.tenant_id or 0)
        if tenant is None:
            result.refused.append((_label(row), "租客不存在"))
            continue
        why = withhold_agreements.replace_card(
            ctx.session, ctx.principal, tenant, ctx.values.get("card_no") or "", ctx.values.get("bank_name") or ""
        )
        if why:
            result.refused.append(("银行卡号", why))
        else:
            result.done += 1
            result.notes.append(f"{tenant.name} 的代扣银行卡已改为 {mask('bank_card', ctx.values['card_no'])}")
    return result


# ---------------------------------------------------------------- the T+1 batch


def run_batch(day: date, p: Principal) -> dict[str, int]:
    """The nightly batch of ``day``: every row confirmed on or before it becomes a real contract with its
    bills (or 生成失败 with the reason). Chunks of rows, each in a transaction of its own."""
    done = {"contract_imports_signed": 0, "contract_imports_failed": 0}
    while True:
        with db.session_scope() as s:
            signed, failed = sign_confirmed(s, p, day)
        done["contract_imports_signed"] += signed
        done["contract_imports_failed"] += failed
        if signed + failed < CHUNK:
            return done


def sign_confirmed(session: Session, p: Principal, day: date) -> tuple[int, int]:
    """Up to ``CHUNK`` rows confirmed on or before ``day`` signed in the caller's transaction: (signed, failed)."""
    waiting = (
        select(ContractImport.id)
        .where(ContractImport.state == ImportState.CONFIRMED, ContractImport.confirmed_on <= day)
        .order_by(ContractImport.id)
        .limit(CHUNK)
    )
    # The claim: only rows still 待执行 move, whoever else runs the batch or sends a row back meanwhile.
    claimed = (
        session.execute(
            sa.update(ContractImport)
            .where(ContractImport.id.in_(waiting.scalar_subquery()), ContractImport.state == ImportState.CONFIRMED)
            .values(state=ImportState.FORMAL, version=ContractImport.version + 1)
            .returning(ContractImport.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not claimed:
        return 0, 0
    rows = session.exec(select(ContractImport).where(ContractImport.id.in_(claimed)).order_by(ContractImport.id)).all()
    # As signing does (leasing.sign): the room 空闲可租 → 待入住 first; a room taken meanwhile fails its row.
    won = room_status.move_many(
        session, p, {r.room_id: f"合同导入 #{r.id}" for r in rows}, RoomStatus.VACANT, RoomStatus.SIGNED, "sign"
    )
    lost = {r.room_id for r in rows} - won
    status = dict(session.execute(select(Room.id, Room.status).where(Room.id.in_(lost))).all())
    contracts: list[tuple[ContractImport, Contract]] = []
    failures: list[tuple[ContractImport, str]] = []
    for r in rows:
        if r.room_id in won:
            won.discard(r.room_id)  # a room signs once, whatever else named it
            contracts.append((r, _contract(r)))
        else:
            now = RoomStatus(status.get(r.room_id, RoomStatus.SIGNED)).label
            failures.append((r, f"房间当前为{now}，未能生成合同（可删除后重新导入）"))
    session.add_all([c for _, c in contracts])
    session.flush()
    prefixes: dict[int, str] = {}
    for _, c in contracts:
        if c.project_id not in prefixes:
            prefixes[c.project_id] = leasing.number_prefix(session, c.project_id)
        c.number = leasing.contract_number(session, c, prefixes[c.project_id])
    if contracts:  # by the table: an executemany, not the ORM's bulk update by primary key
        contract = table_of(Contract)
        session.execute(
            sa.update(contract).where(contract.c.id == sa.bindparam("c_id")).values(number=sa.bindparam("c_no")),
            [{"c_id": c.id, "c_no": c.number} for _, c in contracts],
        )
    bills.generate(session, [c for _, c in contracts])
    _settle(session, contracts, failures)
    return len(contracts), len(failures)


def _contract(r: ContractImport) -> Contract:
    return Contract(
        number=leasing.placeholder_number(),
        project_id=r.project_id,
        room_id=r.room_id,
        tenant_id=r.tenant_id or 0,
        start_date=r.start_date,
        end_date=r.end_date,
        monthly_rent=r.monthly_rent,
        deposit=r.deposit,
        cycle=r.cycle,
        bill_mode=r.bill_mode,
        source=ContractSource.IMPORT,
        signed_on=r.confirmed_on or clock.today(),
        created_by_id=r.confirmed_by_id,
    )


def _settle(
    session: Session, contracts: list[tuple[ContractImport, Contract]], failures: list[tuple[ContractImport, str]]
) -> None:
    """Each claimed row records its contract or its failure, and its audit entry."""
    rows = table_of(ContractImport)
    if contracts:
        session.execute(
            sa.update(rows)
            .where(rows.c.id == sa.bindparam("r_id"))
            .values(contract_id=sa.bindparam("c_id"), contract_no=sa.bindparam("c_no"), failure=""),
            [{"r_id": r.id, "c_id": c.id, "c_no": c.number} for r, c in contracts],
        )
    if failures:
        session.execute(
            sa.update(rows)
            .where(rows.c.id == sa.bindparam("r_id"))
            .values(state=ImportState.FAILED.value, failure=sa.bindparam("why")),
            [{"r_id": r.id, "why": why} for r, why in failures],
        )
    now = utcnow()
    entries = [
        {"row_id": r.id, "summary": f"日终批处理：生成正式合同 {c.number}", "after": '{"state": "formal"}'}
        for r, c in contracts
    ] + [
        {"row_id": r.id, "summary": f"日终批处理：生成失败，{why}", "after": '{"state": "failed"}'}
        for r, why in failures
    ]
    session.execute(
        sa.insert(AuditLog),
        [
            dict(
                user_id=None,
                username="system",
                resource=RESOURCE,
                action="t1_batch",
                before='{"state": "confirmed"}',
                at=now,
                **e,
            )
            for e in entries
        ],
    )


def nightly(today: date, p: Principal) -> dict[str, int]:
    """The daily job's step: yesterday's batch (what was confirmed on day D is real from D + 1)."""
    return run_batch(today - timedelta(days=1), p)
