"""存房易: a landlord's application → the company's review → the landlord's choice → the 存房合同 the
chosen company drafts → the landlord's signature → 执行中, with its schedule of rent payable to the landlord.

Only companies whose 企业参数 存房易开通 (consign_enabled) is 是 take part: the APP's application reaches
those of its city, and every company action refuses the others. The windows are Asia/Shanghai days: an
application may be reviewed up to its submission day + 10, an approval chosen up to its approval day + 10
(``valid_until``); the daily job lapses what waited longer.

The landlord's steps arrive from the 建融家园 APP as signed messages (``receive``); the company's review
and draft go back to it through services/landlord_app.py. Every move is a conditional update on the
state it leaves, audited: a message delivered twice, or late, finds the row moved and changes nothing.
A notice the APP did not take (a timeout, a refusal) leaves the row 待通知APP with the reason, for
重新通知APP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from clss_app.core import audit, clock, signing
from clss_app.core.errors import ValidationFailed
from clss_app.core.privacy import card_problem, id_number_problem, normalise_card
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import billing, landlord_app, leasing, params
from models import (
    BillMode,
    ConsignApplication,
    ConsignContract,
    ConsignContractState,
    ConsignPayment,
    ConsignState,
    LandlordHouse,
    OrgUnit,
    PayCycle,
    UnitKind,
)

VALID_DAYS = 10
MAX_BODY = 8192
APPS, CONTRACTS = "consign_applications", "consign_contracts"  # the audit log's resources (the admins' keys)
TAKEN = (ConsignState.CHOSEN, ConsignState.DRAFTED, ConsignState.SIGNED)  # the landlord chose this row
APP_NO = re.compile(r"[A-Za-z0-9-]{1,24}")
PHONE = re.compile(r"1\d{10}")
SAID = {"app_choose": "建融家园：房东选择本企业", "app_sign": "建融家园：房东在线签约", "lapse": "已失效"}
NOT_ENABLED = "本企业未开通存房易，请联系分行系统管理员"


def business_day(at: datetime) -> date:
    return at.astimezone(clock.SHANGHAI).date()


def enabled(session: Session, company_id: int) -> bool:
    return params.enterprise_value(session, company_id, "consign_enabled") is True


# ---------------------------------------------------------------- the landlord's steps, from the APP


@dataclass
class Answer:
    status: int
    body: dict[str, str]


APPLIED = Answer(200, {"code": "SUCCESS", "result": "applied"})
DUPLICATE = Answer(200, {"code": "SUCCESS", "result": "duplicate"})


def _refuse(message: str, status: int = 409) -> Answer:
    """400: the message itself is wrong; 409: it does not fit where the application stands (the APP shows
    the reason to the landlord and does not send it again)."""
    return Answer(status, {"code": "REFUSED" if status == 409 else "FAIL", "message": message})


class Retry(Exception):
    """A message raced another one of its application: run it again in a fresh transaction."""


def receive(session: Session, raw: bytes) -> Answer:
    """Applies one message of the APP in the caller's transaction."""
    try:
        msg: Any = json.loads(raw[:MAX_BODY].decode("utf-8"))
    except (ValueError, RecursionError):  # [[[[…: 8 KB of brackets nests deeper than the parser goes
        msg = None
    if not isinstance(msg, dict) or not all(isinstance(v, str) and "\x00" not in v for v in msg.values()):
        return _refuse("报文格式错误", 400)
    # The signature covers "k=v&k=v…" unescaped: a landlord's field holding "&company_id=5&kind=choose"
    # would make an application's signature valid for a choice nobody made. No field may hold a separator.
    if any("&" in k or "=" in k or "&" in v for k, v in msg.items()):
        return _refuse("报文格式错误", 400)
    if not signing.verify(msg, landlord_app.key()):
        return _refuse("签名错误", 400)
    try:
        at = datetime.strptime(msg.get("at", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return _refuse("时间格式错误", 400)
    handler = HANDLERS.get(msg.get("kind", ""))
    if handler is None:
        return _refuse("未知的消息类型", 400)
    return handler(session, msg, at)


def _house(msg: dict[str, str]) -> dict[str, Any] | str:
    """The application's fields, typed; or why they are not acceptable."""
    try:
        area, rent, months = Decimal(msg.get("house_area", "")), Decimal(msg.get("expected_rent", "")), None
        months = int(msg.get("expected_months", ""))
    except (InvalidOperation, ValueError):
        return "面积、期望租金或期限格式错误"
    checks = [
        (not APP_NO.fullmatch(msg.get("app_no", "")), "申请编号格式错误"),
        (not msg.get("city") or len(msg["city"]) > 32, "城市不能为空"),
        (not 1 <= len(msg.get("landlord_name", "")) <= 32, "房东姓名须为 1–32 个字"),
        (not PHONE.fullmatch(msg.get("landlord_phone", "")), "房东手机号须为 11 位数字"),
        (bool(id_number_problem(msg.get("landlord_id_number", ""))), "房东身份证号有误"),
        (not 1 <= len(msg.get("house_address", "")) <= 128, "房屋地址须为 1–128 个字"),
        (not (area.is_finite() and 0 < area < 10000), "建筑面积须在 0–10000 ㎡ 之间"),
        (not (rent.is_finite() and 0 < rent < 10**8), "期望月租金须大于 0"),
        (not 1 <= months <= 120, "期望存房期限须为 1–120 个月"),
        (len(msg.get("layout", "")) > 32, "户型不超过 32 个字"),
    ]
    wrong = next((why for bad, why in checks if bad), "")
    if wrong:
        return wrong
    return {
        "city": msg["city"],
        "landlord_name": msg["landlord_name"],
        "landlord_phone": msg["landlord_phone"],
        "landlord_id_number": msg["landlord_id_number"].upper(),
        "house_address": msg["house_address"],
        "house_area": area.quantize(Decimal("0.01")),
        "layout": msg.get("layout", ""),
        "expected_rent": rent.quantize(Decimal("0.01")),
        "expected_months": months,
    }


def companies_of(session: Session, city: str) -> list[OrgUnit]:
    """The companies of a city with 存房易 enabled: those an application reaches."""
    found = session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMPANY, OrgUnit.city == city)).all()
    return [c for c in found if enabled(session, saved_id(c))]


def _apply(session: Session, msg: dict[str, str], at: datetime) -> Answer:
    house = _house(msg)
    if isinstance(house, str):
        return _refuse(house, 400)
    app_no = msg["app_no"]
    if session.exec(select(ConsignApplication.id).where(ConsignApplication.number == app_no)).first():
        return DUPLICATE  # a repeat: the application is here already, whatever became of it since
    companies = companies_of(session, house["city"])
    if not companies:
        return _refuse(f"{house['city']}暂无开通存房易的企业")
    for c in companies:
        row = ConsignApplication(
            number=app_no,
            company_id=saved_id(c),
            submitted_at=at,
            valid_until=business_day(at) + timedelta(days=VALID_DAYS),
            **house,
        )
        session.add(row)
        session.flush()  # a parallel delivery of the same application fails here (unique): the retry sees ours
        audit.record(session, None, APPS, row.id, "app_apply", summary=f"建融家园：房东{row.landlord_name}提交存房申请")
    return APPLIED


def _rows_of(session: Session, app_no: str) -> list[ConsignApplication]:
    return list(
        session.exec(
            select(ConsignApplication)
            .where(ConsignApplication.number == app_no)
            .execution_options(populate_existing=True)
        ).all()
    )


def _move(session: Session, row: ConsignApplication | ConsignContract, old: Any, action: str, **values) -> bool:
    """One conditional update from ``old``; False if the row moved first. ``action`` names the APP's or the
    job's move in the audit log (what changed); "" for a person's action, which the engine audits."""
    model: type[SQLModel] = type(row)
    table = sa.inspect(model).local_table
    before = audit.snapshot(row, [*values, "state"])
    done = changed(
        session,
        sa.update(model)
        .where(table.c.id == row.id, table.c.state == old)
        .values(**values, version=table.c.version + 1)
        .execution_options(synchronize_session=False),
    )
    if done:
        session.refresh(row)
        if action:
            resource = APPS if model is ConsignApplication else CONTRACTS
            after = audit.snapshot(row, [*values, "state"])
            summary = SAID[action] + (f"：{values['reason']}" if values.get("reason") else "")
            audit.record(session, None, resource, row.id, action, before, after, summary=summary)
    return bool(done)


def _choose(session: Session, msg: dict[str, str], at: datetime) -> Answer:
    rows = _rows_of(session, msg.get("app_no", ""))
    chosen = next((r for r in rows if str(r.company_id) == msg.get("company_id")), None)
    if chosen is None:
        return _refuse("该企业没有这份存房申请")
    if chosen.state in TAKEN:
        return DUPLICATE
    if any(r.state in TAKEN for r in rows):
        return _refuse("房东已选择其他企业")
    if chosen.state != ConsignState.APPROVED:
        return _refuse(f"该企业的申请状态为{chosen.state.label}，不能选择")
    if business_day(at) > chosen.valid_until:
        return _refuse(f"审核通过已超过 {VALID_DAYS} 日（有效期至 {chosen.valid_until}），已失效")
    if not _move(
        session, chosen, ConsignState.APPROVED, "app_choose", state=ConsignState.CHOSEN, chosen_at=at, reason=""
    ):
        raise Retry()
    for r in rows:
        if r.id != chosen.id and r.state in (ConsignState.PENDING, ConsignState.APPROVED):
            _move(session, r, r.state, "lapse", state=ConsignState.LAPSED, reason="房东已选择其他企业")
    return APPLIED


def _sign(session: Session, msg: dict[str, str], at: datetime) -> Answer:
    c = session.exec(
        select(ConsignContract)
        .where(ConsignContract.number == msg.get("contract_no", ""))
        .execution_options(populate_existing=True)
    ).first()
    row = session.get(ConsignApplication, c.application_id) if c is not None else None
    if c is None or row is None or row.number != msg.get("app_no"):
        return _refuse("存房合同不存在")
    if c.state == ConsignContractState.ACTIVE:
        return DUPLICATE
    if not _move(session, c, ConsignContractState.DRAFTED, "app_sign", state=ConsignContractState.ACTIVE, signed_at=at):
        raise Retry()
    _move(session, row, ConsignState.DRAFTED, "app_sign", state=ConsignState.SIGNED)
    for period in schedule_of(c):
        session.add(
            ConsignPayment(
                contract_id=saved_id(c),
                company_id=c.company_id,
                period_no=period.no,
                period_start=period.start,
                period_end=period.end,
                due_date=period.due,
                amount=period.amount,
            )
        )
    return APPLIED


HANDLERS: dict[str, Callable[[Session, dict[str, str], datetime], Answer]] = {
    "apply": _apply,
    "choose": _choose,
    "sign": _sign,
}


def schedule_of(c: ConsignContract) -> list[billing.Period]:
    """The rent the company pays the landlord, period by period: the billing engine's own rules."""
    mode = billing.SAME_DAY if c.bill_mode == BillMode.SAME_DAY else billing.MONTH_START
    return billing.schedule(c.start_date, c.end_date, c.monthly_rent, PayCycle(c.cycle).months, mode)


# ---------------------------------------------------------------- the company's steps


def _company_name(session: Session, company_id: int) -> str:
    unit = session.get(OrgUnit, company_id)
    return unit.name if unit else ""


def _tell(session: Session, row: ConsignApplication | ConsignContract, fields: dict[str, str], key: str) -> str:
    """Tells the APP; the row is 待通知APP until it took the notice. The failure's reason, or ""."""
    model: type[SQLModel] = type(row)
    table = sa.inspect(model).local_table
    try:
        landlord_app.notify(fields, key)
    except landlord_app.AppError as exc:
        values: dict[str, Any] = {"app_pending": True, "app_error": str(exc)[:255]}
    else:
        values = {"app_pending": False, "app_error": ""}
    session.execute(sa.update(model).where(table.c.id == row.id).values(**values))
    session.refresh(row)
    return str(values["app_error"])


def tell_review(session: Session, row: ConsignApplication) -> str:
    approved = row.state != ConsignState.REJECTED
    fields = {
        "kind": "review",
        "app_no": row.number,
        "company_id": str(row.company_id),
        "company_name": _company_name(session, row.company_id),
        "result": "approved" if approved else "rejected",
        "reason": row.reason,
        "valid_until": row.valid_until.isoformat() if approved else "",
    }
    return _tell(session, row, fields, f"review:{row.number}:{row.company_id}")


def tell_draft(session: Session, c: ConsignContract) -> str:
    row = session.get_one(ConsignApplication, c.application_id)
    fields = {
        "kind": "draft",
        "app_no": row.number,
        "company_id": str(c.company_id),
        "company_name": _company_name(session, c.company_id),
        "contract_no": c.number,
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "monthly_rent": f"{c.monthly_rent:.2f}",
        "cycle": str(c.cycle.value),
        "payee_card_tail": c.payee_card_no[-4:],
        "schedule": ";".join(f"{p.no},{p.due.isoformat()},{p.amount:.2f}" for p in schedule_of(c)),
    }
    return _tell(session, c, fields, f"draft:{c.number}")


def _told(result: ActionResult, name: str, error: str) -> None:
    if error:
        result.notes.append(f"{name} 已保存，但通知建融家园失败：{error}；可稍后点击“重新通知APP”")


def decide(approve: bool) -> Callable[[ActionContext[ConsignApplication]], ActionResult]:
    """审核通过 / 驳回 of applications waiting for review, within their window; the APP is told."""

    def run(ctx: ActionContext[ConsignApplication]) -> ActionResult:
        session, today, result = ctx.session, clock.today(), ActionResult()
        for row in ctx.rows:
            refusal = _refusal(session, row, ConsignState.PENDING, "")
            if refusal:
                result.refused.append((row.number, refusal))
                continue
            if today > row.valid_until:
                result.refused.append((row.number, f"申请已超过有效期（{row.valid_until}），不能审核"))
                continue
            values: dict[str, Any] = {
                "state": ConsignState.APPROVED if approve else ConsignState.REJECTED,
                "reason": ctx.text,
                "reviewed_by_id": ctx.principal.actor_id,
                "reviewed_at": clock.now(),
                "app_pending": True,
            }
            if approve:  # the landlord's turn: ten days from today
                values["valid_until"] = today + timedelta(days=VALID_DAYS)
            if not _move(session, row, ConsignState.PENDING, "", **values):
                result.refused.append((row.number, "已被他人处理，请刷新"))
                continue
            result.done += 1
            _told(result, row.number, tell_review(session, row))
        return result

    return run


def landlord_house(row: ConsignApplication) -> dict[str, Any]:
    """What a 存房合同 copies from its application: the landlord and the house."""
    return {n: getattr(row, n) for n in LandlordHouse.model_fields}


def _refusal(session: Session, row: ConsignApplication, state: ConsignState, why: str) -> str:
    """Why a company's action does not apply to ``row`` (it waits in ``state``), or ""."""
    if not enabled(session, row.company_id):
        return NOT_ENABLED
    return "" if row.state == state else f"当前为{row.state.label}{why}"


def draft_problems(values: dict[str, Any]) -> dict[str, str]:
    start, end, rent = values.get("start_date"), values.get("end_date"), values.get("monthly_rent")
    errors = {}
    if start and end and end <= start:
        errors["end_date"] = "到期日须晚于起始日"
    elif start and end and end >= billing.add_months(start, 12 * leasing.MAX_TERM_YEARS):
        # as a lease's: a century's term would write its 1,200 payments (and send them to the APP) at signing
        errors["end_date"] = f"存房期限不能超过 {leasing.MAX_TERM_YEARS} 年"
    if rent is not None and rent > leasing.MAX_RENT:
        errors["monthly_rent"] = f"月租金不能超过 {leasing.MAX_RENT:,.0f} 元"
    if start and start < clock.today():
        errors["start_date"] = "起始日不能早于今天"
    if rent is not None and rent <= 0:
        errors["monthly_rent"] = "月租金须大于 0"
    problem = card_problem(values.get("payee_card_no") or "")
    if problem:
        errors["payee_card_no"] = problem
    return errors


def new_number(session: Session, company_id: int) -> str:
    """CF + the Beijing day + a running number of the day (unique: the column says so)."""
    prefix = f"CF{clock.today():%Y%m%d}"
    last = session.exec(
        select(sa.func.max(ConsignContract.number)).where(ConsignContract.number.startswith(prefix))
    ).first()
    return f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:04d}"


def draft(ctx: ActionContext[ConsignApplication]) -> ActionResult:
    """拟定合同: the chosen company's 存房合同 for the landlord to sign on the APP (the APP is told)."""
    session, values, result = ctx.session, ctx.values, ActionResult()
    errors = draft_problems(values)
    if errors:
        raise ValidationFailed(errors)
    for row in ctx.rows:
        refusal = _refusal(session, row, ConsignState.CHOSEN, "，房东选择本企业后才能拟定合同")
        if refusal:
            result.refused.append((row.number, refusal))
            continue
        if not _move(session, row, ConsignState.CHOSEN, "", state=ConsignState.DRAFTED):
            result.refused.append((row.number, "已被他人处理，请刷新"))
            continue
        c = ConsignContract(
            number=new_number(session, row.company_id),
            application_id=saved_id(row),
            company_id=row.company_id,
            **landlord_house(row),
            start_date=values["start_date"],
            end_date=values["end_date"],
            monthly_rent=values["monthly_rent"],
            cycle=values.get("cycle") or PayCycle.MONTHLY,
            bill_mode=values.get("bill_mode") or BillMode.SAME_DAY,
            payee_bank=values["payee_bank"],
            payee_card_no=normalise_card(values["payee_card_no"]),
            drafted_by_id=ctx.principal.actor_id,
            drafted_at=clock.now(),
            app_pending=True,
        )
        session.add(c)
        session.flush()
        audit.record(session, ctx.principal, CONTRACTS, c.id, "create", None, audit.snapshot(c))
        result.done += 1
        result.notes.append(f"存房合同 {c.number} 已发送房东签约")
        _told(result, c.number, tell_draft(session, c))
        result.goto = f"/consign/contracts?q={c.number}"
    return result


def tell_again(ctx: ActionContext[Any]) -> ActionResult:
    """重新通知APP: the review or draft the APP has not taken yet, sent again under the same key."""
    session, result = ctx.session, ActionResult()
    for row in ctx.rows:
        name = row.number
        if not row.app_pending:
            result.refused.append((name, "已通知建融家园"))
            continue
        error = tell_review(session, row) if isinstance(row, ConsignApplication) else tell_draft(session, row)
        if error:
            result.refused.append((name, error))
        else:
            result.done += 1
    return result


# ---------------------------------------------------------------- the daily job


def expire_lapsed(session: Session, today: date | None = None) -> int:
    """Applications unreviewed past their window, and approvals the landlord did not choose in theirs,
    turn 已失效 (each by a conditional update, audited)."""
    today = today or clock.today()
    why = {ConsignState.PENDING: f"超过 {VALID_DAYS} 日未审核", ConsignState.APPROVED: f"房东 {VALID_DAYS} 日内未选择"}
    n = 0
    for row in session.exec(
        select(ConsignApplication).where(
            ConsignApplication.state.in_(list(why)), ConsignApplication.valid_until < today
        )
    ).all():
        n += _move(session, row, row.state, "lapse", state=ConsignState.LAPSED, reason=why[row.state])
    return n
