"""网签备案: filing a signed contract with the city's 住房租赁监管平台, and revoking the filing.

Only in a city whose 城市参数 对接监管平台 is 是, and only for a contract signed and not ended (待执行,
执行中). 备案 moves 政府备案 否 → 备案中 by a conditional update before the platform is asked, then
备案中 → 是 with the platform's number and time, or back to 否 with its reason when it refuses. A platform
that does not answer leaves the contract 备案中 with the reason shown; 备案 again asks it again under the
same key (the contract number), so a filing it did take is answered with the same number, never made
twice. 撤销备案 moves 是 → 否 once the platform has revoked it; a failure leaves it 是, to try again.
Each move is audited with the filing's number.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import audit, clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed
from clss_app.services import params, regulator
from models import Contract, ContractState, FilingState, Project, Room, Tenant

RESOURCE = "contract_filings"
FILEABLE = (ContractState.SIGNED, ContractState.ACTIVE)


def connected(session: Session, city: str) -> bool:
    return bool(params.city_value(session, city, "filing_connected"))


def _move(session: Session, c: Contract, was: FilingState, **values: object) -> bool:
    return bool(
        changed(
            session,
            sa.update(Contract)
            .where(Contract.id == c.id, Contract.filing_state == was)
            .values(**values, version=Contract.version + 1),
        )
    )


def _note(session: Session, c: Contract, note: str) -> None:
    session.execute(sa.update(Contract).where(Contract.id == c.id).values(filing_note=note[:255]))


def request_of(session: Session, c: Contract) -> regulator.Filing:
    project = session.get_one(Project, c.project_id)
    tenant = session.get_one(Tenant, c.tenant_id)
    return regulator.Filing(
        contract_no=c.number,
        city=project.city,
        project=project.name,
        room=session.get_one(Room, c.room_id).number,
        tenant_name=tenant.name,
        id_number=tenant.id_number,
        start_date=c.start_date.isoformat(),
        end_date=c.end_date.isoformat(),
        monthly_rent=c.monthly_rent,
    )


def file(session: Session, c: Contract, platform: regulator.Regulator | None = None) -> tuple[str, str]:
    """备案: (the filing number, "") once filed, else ("", why not) — also kept on the contract."""
    if c.state not in FILEABLE:
        return "", f"合同当前为{c.state.label}，只有待执行或执行中的合同可以备案"
    city = session.get_one(Project, c.project_id).city
    if not connected(session, city):
        return "", f"{city or '本市'}未对接监管平台（城市参数“对接监管平台”为否），不能网签备案"
    if c.filing_state == FilingState.FILED:
        return "", f"已备案（备案号 {c.filing_no}）"
    if c.filing_state == FilingState.NONE and not _move(
        session, c, FilingState.NONE, filing_state=FilingState.FILING, filing_note=""
    ):
        return "", "已被他人处理，请刷新"
    try:
        answer = (platform or regulator.platform()).file(request_of(session, c))
    except regulator.RegulatorError as exc:
        _note(session, c, f"备案未完成：{exc}")
        return "", f"{exc}（合同保持备案中，可再次点击“备案”重试）"
    if not answer.ok:
        why = f"监管平台拒绝备案：{answer.reason}"
        _move(session, c, FilingState.FILING, filing_state=FilingState.NONE, filing_note=why[:255])
        return "", why
    if not _move(
        session,
        c,
        FilingState.FILING,
        filing_state=FilingState.FILED,
        filing_no=answer.filing_no[:32],
        filed_at=answer.at or clock.now(),
        filing_note="",
    ):
        return "", "已被他人处理，请刷新"
    return answer.filing_no, ""


def revoke(session: Session, c: Contract, platform: regulator.Regulator | None = None) -> tuple[str, str]:
    """撤销备案: (the revoked number, "") once the platform revoked it, else ("", why not)."""
    if c.filing_state != FilingState.FILED:
        return "", f"政府备案当前为{c.filing_state.label}，只有已备案的合同可以撤销备案"
    try:
        answer = (platform or regulator.platform()).revoke(c.number, c.filing_no)
    except regulator.RegulatorError as exc:
        _note(session, c, f"撤销备案未完成：{exc}")
        return "", f"{exc}（合同仍为已备案，可再次点击“撤销备案”重试）"
    if not answer.ok:
        why = f"监管平台拒绝撤销：{answer.reason}"
        _note(session, c, why)
        return "", why
    at, number = answer.at or clock.now(), c.filing_no  # the update below clears the row's copy too
    note = f"已于 {at.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M} 撤销备案 {number}"
    if not changed(
        session,
        sa.update(Contract)
        .where(Contract.id == c.id, Contract.filing_state == FilingState.FILED, Contract.filing_no == number)
        .values(
            filing_state=FilingState.NONE, filing_no="", filed_at=None, filing_note=note, version=Contract.version + 1
        ),
    ):
        return "", "已被他人处理，请刷新"
    return number, ""


def _each(ctx: ActionContext[Contract], step: Callable[[Contract], tuple[str, str]], verb: str) -> ActionResult:
    result = ActionResult()
    for c in ctx.rows:
        before = {"filing_state": c.filing_state.value, "filing_no": c.filing_no}
        number, why = step(c)
        if why:
            result.refused.append((c.number, why))
            continue
        result.done += 1
        result.notes.append(f"{c.number} {verb} {number}")
        ctx.session.refresh(c)
        after = {"filing_state": c.filing_state.value, "filing_no": c.filing_no}
        audit.record(ctx.session, ctx.principal, RESOURCE, c.id, f"action:{verb}", before, after, f"{verb} {number}")
    return result


def file_contracts(ctx: ActionContext[Contract]) -> ActionResult:
    return _each(ctx, lambda c: file(ctx.session, c), "备案")


def revoke_filings(ctx: ActionContext[Contract]) -> ActionResult:
    return _each(ctx, lambda c: revoke(ctx.session, c), "撤销备案")


def retry_waiting() -> dict[str, int]:
    """The daily job's step: each contract left 备案中 by a platform that did not answer is sent again
    (same key, so filed once), each in a transaction of its own; a platform still away waits for the
    next round."""
    waiting = select(Contract.id).where(Contract.filing_state == FilingState.FILING)
    return {"filings_retried": db.each_alone(waiting, lambda s, i: bool(file(s, s.get_one(Contract, i))[0]))}
