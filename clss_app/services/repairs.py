"""报修与工单: 登记 → 审核 (or 驳回 with a reason) → 派工 → 接单 → 回单 → 回访 → 归档.

Who owns each step (checked here, on the server, whatever the page offered):

- 登记: store staff (负责人, 多店店长, 店长, 店助) of the room's project;
- 审核 / 驳回, 派工 and 二次派工, 归档: 店长 and 多店店长 (they answer for the project's service);
- 接单 and 回单: the staff member the order is dispatched to, or a 店长 / 多店店长 on their behalf; an order
  sent to an 外委单位 is 接单 / 回单 by any store staff (店长, 店助, 多店店长), who record what the vendor did;
- 回访: 店长 and 店助, who call the tenant.

Every step is one conditional UPDATE from the state it leaves (``_move``): two people acting at once, or a
page showing an old state, find the row moved and are refused naming the step. A step asked of an order in
another state is refused naming both ("工单当前为待派工，不能回单"); a role that does not own a step is refused
naming the step and its owners. Every move writes an audit row of the order.

二次派工 sends an order that is 已派工 or 处理中 to someone else: a new repair_dispatch row (the earlier stay),
a new due time from now, back to 已派工. 回单 with 向租客收费 makes a 非合同类 bill of the cost for the
room's open contract (services/extra_fees.py's own bill, the project's 非合同类 fee item 维修费).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit, clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.images import split_images
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import extra_fees, outbox, params
from clss_app.services.permissions import Principal, in_scope
from models import (
    Bill,
    Contract,
    FeeItem,
    FeeKind,
    Project,
    RepairCategory,
    RepairDispatch,
    RepairOrder,
    RepairReport,
    RepairState,
    RepairUrgency,
    RepairVendor,
    Role,
    Room,
    User,
    UserProject,
)

RESOURCE = "repairs"  # the audit log's resource: the orders' admin key
S = RepairState
MANAGERS = frozenset({Role.STORE_MANAGER, Role.MULTI_STORE_MANAGER})
REGISTRARS = frozenset({Role.PRINCIPAL, Role.MULTI_STORE_MANAGER, Role.STORE_MANAGER, Role.STORE_ASSISTANT})
WORKERS = frozenset({Role.MULTI_STORE_MANAGER, Role.STORE_MANAGER, Role.STORE_ASSISTANT})
VISITORS = frozenset({Role.STORE_MANAGER, Role.STORE_ASSISTANT})
# Open work: dispatched and not yet 回单. Past its due time it is overdue (待我处理, the board's wrench).
OPEN_WORK = (S.DISPATCHED, S.ACCEPTED)
REPORTED = (S.REPORTED, S.VISITED, S.ARCHIVED)  # 回单 done
MAX_PHOTOS = 9
MAX_DESCRIPTION = 500
MAX_COST = extra_fees.MAX_AMOUNT
REPAIR_FEE = "维修费"


@dataclass(frozen=True)
class Step:
    name: str  # the words of the refusal: 不能{name}
    before: tuple[RepairState, ...]
    roles: frozenset[Role]


REVIEW = Step("审核", (S.PENDING,), MANAGERS)
DISPATCH = Step("派工", (S.APPROVED,), MANAGERS)
REDISPATCH = Step("二次派工", OPEN_WORK, MANAGERS)
ACCEPT = Step("接单", (S.DISPATCHED,), WORKERS)
REPORT = Step("回单", (S.ACCEPTED,), WORKERS)
VISIT = Step("回访", (S.REPORTED,), VISITORS)
ARCHIVE = Step("归档", (S.VISITED,), MANAGERS)


def _roles_text(roles: frozenset[Role]) -> str:
    return "、".join(r.label for r in sorted(roles, key=lambda r: r.value))


def refusal(p: Principal, order: RepairOrder, step: Step) -> str:
    """Why ``p`` may not take ``step`` on ``order`` now ("" if it may): scope, role, state, assignee."""
    if not in_scope(p, project_id=order.project_id):
        return "记录不存在或无权访问"
    if p.role not in step.roles:
        return f"{p.role.label}不能{step.name}（{step.name}由{_roles_text(step.roles)}办理）"
    if order.state not in step.before:
        return f"工单当前为{RepairState(order.state).label}，不能{step.name}"
    if step in (ACCEPT, REPORT) and order.assignee_id and order.assignee_id != p.user_id and p.role not in MANAGERS:
        return f"工单已派给其他员工，只有处理人本人或店长可以{step.name}"
    return ""


def _move(session: Session, order: RepairOrder, **values: Any) -> bool:
    """One conditional update from the state the order was read in. False: it moved meanwhile.
    An action's move is audited by the engine (crud.run_action: each row's state before and after)."""
    done = changed(
        session,
        sa.update(RepairOrder)
        .where(RepairOrder.id == order.id, RepairOrder.state == order.state)
        .values(**values, version=RepairOrder.version + 1)
        .execution_options(synchronize_session=False),
    )
    if done:
        session.refresh(order)
        tell_tenant(session, order)
    return bool(done)


# What the tenant reads of each step of their order's progress.
PROGRESS = {
    RepairState.APPROVED: "已受理，等待派工",
    RepairState.REJECTED: "未通过审核",
    RepairState.DISPATCHED: "已派工，维修人员将与您联系",
    RepairState.ACCEPTED: "维修人员已接单，正在处理",
    RepairState.REPORTED: "维修已完成，稍后将回访",
    RepairState.VISITED: "已回访，感谢您的评价",
    RepairState.ARCHIVED: "已办结归档",
}


def tell_tenant(session: Session, order: RepairOrder) -> None:
    """报修进度 to the order's tenant (an order of a room without one tells nobody), as a 站内信."""
    said = PROGRESS.get(RepairState(order.state))
    if order.tenant_id is None or said is None:
        return
    outbox.to_tenant(
        session,
        order.tenant_id,
        order.project_id,
        f"报修进度：{order.number}",
        f"您的报修单 {order.number} {said}。",
        "报修进度",
    )


def _run(ctx: ActionContext[RepairOrder], step: Step, values: dict[str, Any]) -> ActionResult:
    """A step over the chosen orders: each refused by name, or moved to ``values``."""
    result = ActionResult()
    for order in ctx.rows:
        why = refusal(ctx.principal, order, step)
        if why:
            result.refused.append((order.number, why))
            continue
        if _move(ctx.session, order, **values):
            result.done += 1
        else:
            result.refused.append((order.number, f"已被他人处理，不能{step.name}，请刷新"))
    return result


# ---------------------------------------------------------------- 登记


def registration_problems(session: Session, p: Principal, values: Mapping[str, Any]) -> dict[str, str]:
    """{field: message} of a new order: the room in scope, a description of 1–500 characters, ≤ 9 photos."""
    errors: dict[str, str] = {}
    if p.role not in REGISTRARS:
        errors["room_id"] = f"{p.role.label}不能登记报修（由{_roles_text(REGISTRARS)}登记）"
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    if room is None or not in_scope(p, project_id=room.project_id):
        errors["room_id"] = "房间不存在或无权访问"
    return errors | order_problems(values)


def order_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """{field: message} of what an order says, whoever files it: a description of 1–500 characters, ≤ 9 photos."""
    errors: dict[str, str] = {}
    text = str(values.get("description") or "").strip()
    if not text:
        errors["description"] = "问题描述不能为空"
    elif len(text) > MAX_DESCRIPTION:
        errors["description"] = f"问题描述不能超过 {MAX_DESCRIPTION} 个字符（当前 {len(text)} 个）"
    n = len(split_images(str(values.get("photos") or "")))
    if n > MAX_PHOTOS:
        errors["photos"] = f"报修照片最多 {MAX_PHOTOS} 张（当前 {n} 张）"
    return errors


def new_number(session: Session) -> str:
    """BX + the Beijing day + a running number of the day (unique: the column says so)."""
    prefix = f"BX{clock.today():%Y%m%d}"
    last = session.exec(select(sa.func.max(RepairOrder.number)).where(RepairOrder.number.startswith(prefix))).first()
    return f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:04d}"


def open_contract(session: Session, room_id: int) -> Contract | None:
    """The room's contract the tenant lives under now (待执行 or 执行中), if any."""
    return session.exec(
        select(Contract).where(Contract.room_id == room_id, Contract.state.in_(extra_fees.OPEN_CONTRACT))
    ).first()


def fill_registration(session: Session, p: Principal, values: dict[str, Any], new: bool = True) -> None:
    """What 登记 (or an edit while 待审核) adds to the form's values: the room's project and the tenant of
    its open contract; on 登记 also the number and who."""
    _fill(session, values, p.actor_id if new else None, new)


def _fill(session: Session, values: dict[str, Any], registered_by_id: int | None, new: bool) -> None:
    room = session.get_one(Room, values["room_id"])
    c = open_contract(session, saved_id(room))
    values.update(
        project_id=room.project_id,
        description=str(values["description"]).strip(),
        tenant_id=c.tenant_id if c else None,
        contract_id=c.id if c else None,
        urgency=values.get("urgency") or RepairUrgency.NORMAL,
    )
    if new:
        values.update(number=new_number(session), registered_by_id=registered_by_id, state=S.PENDING)


class TenantRefused(ValueError):
    """A tenant's 报修 that cannot be filed: ``field`` and the Chinese message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


NUMBER_TRIES = 5


def file_by_tenant(session: Session, tenant_id: int, values: Mapping[str, Any]) -> RepairOrder:
    """报修 from the APP: an order as 登记 makes it (the same checks of what it says, the same number, 待审核),
    for a room of one of the tenant's own live contracts (待执行 or 执行中), registered by nobody on the
    staff; audited as the tenant's. Two orders numbered at once: the later takes the next number."""
    room_id = values.get("room_id")
    c = open_contract(session, room_id) if isinstance(room_id, int) else None
    if c is None or c.tenant_id != tenant_id:
        raise TenantRefused("room_id", "房间不存在，或不是您在租（待入住或在住）的房间")
    problems = order_problems(values)
    if problems:
        field, message = next(iter(problems.items()))
        raise TenantRefused(field, message)
    row: dict[str, Any] = {
        k: values.get(k) for k in ("room_id", "category", "urgency", "description", "photos", "preferred_time")
    }
    row["photos"], row["preferred_time"] = row["photos"] or "", str(row["preferred_time"] or "").strip()
    try:
        row["category"] = RepairCategory(row["category"])
        row["urgency"] = RepairUrgency(row["urgency"] or RepairUrgency.NORMAL)
    except ValueError:
        raise TenantRefused("category", "报修类别或紧急程度不正确") from None
    for attempt in range(NUMBER_TRIES):
        _fill(session, row, None, True)
        order = RepairOrder(**row)
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
            break
        except sa.exc.IntegrityError:  # the number was taken meanwhile by another 登记
            if attempt == NUMBER_TRIES - 1:
                raise
    audit.record(
        session,
        None,
        RESOURCE,
        order.id,
        "create",
        None,
        {"state": S.PENDING.value},
        summary=f"租客 APP 报修 {order.number}：{order.description[:60]}",
    )
    return order


def progress(session: Session, order: RepairOrder) -> list[dict[str, Any]]:
    """报修进度 as the tenant reads it: each step taken so far, with its time (the order's own stamps and
    its 派工 history), oldest first."""
    steps: list[tuple[datetime, str, str]] = [(order.created_at, "报修已提交", "等待门店审核")]
    if order.reviewed_at is not None:
        if order.state == S.REJECTED:
            steps.append((order.reviewed_at, "未通过审核", order.reason))
        else:
            steps.append((order.reviewed_at, "已受理", PROGRESS[S.APPROVED]))
    dispatches = session.exec(
        select(RepairDispatch).where(RepairDispatch.order_id == order.id).order_by(RepairDispatch.seq)
    ).all()
    for d in dispatches:
        steps.append((d.dispatched_at, "已派工" if d.seq == 1 else "重新派工", PROGRESS[S.DISPATCHED]))
    stamps = (
        (order.accepted_at, "已接单", S.ACCEPTED),
        (order.reported_at, "维修完成", S.REPORTED),
        (order.visited_at, "已回访", S.VISITED),
        (order.archived_at, "已办结", S.ARCHIVED),
    )
    steps += [(at, name, PROGRESS[state]) for at, name, state in stamps if at is not None]
    steps.sort(key=lambda s: s[0])
    return [{"step": name, "at": at, "note": note} for at, name, note in steps]


# ---------------------------------------------------------------- 审核, 派工, 接单


def decide(approve: bool):
    def run(ctx: ActionContext[RepairOrder]) -> ActionResult:
        reason = ctx.text.strip()
        if not approve and not reason:
            raise ValidationFailed({"_input": "请填写驳回原因"})
        values = {
            "state": S.APPROVED if approve else S.REJECTED,
            "reason": "" if approve else reason,
            "reviewed_by_id": ctx.principal.actor_id,
            "reviewed_at": clock.now(),
        }
        return _run(ctx, REVIEW, values)

    return run


def sla_hours(session: Session, order: RepairOrder) -> int:
    company_id = session.get_one(Project, order.project_id).company_id
    return int(params.enterprise_value(session, company_id, f"repair_sla_{RepairCategory(order.category).value}"))


def assignees(session: Session, order: RepairOrder) -> list[tuple[str, str]]:
    """Whom an order may be sent to: the project's store staff ("u<id>") and the company's active
    外委单位 that take its category ("v<id>")."""
    staff = session.exec(
        select(User.id, User.display_name, User.role)
        .join(UserProject, UserProject.user_id == User.id)
        .where(UserProject.project_id == order.project_id, User.is_active, User.role.in_(list(WORKERS)))
        .order_by(User.id)
    ).all()
    company_id = session.get_one(Project, order.project_id).company_id
    label = RepairCategory(order.category).label
    vendors = session.exec(
        select(RepairVendor).where(RepairVendor.company_id == company_id, RepairVendor.active).order_by(RepairVendor.id)
    ).all()
    return [(f"u{i}", f"员工：{name}（{Role(role).label}）") for i, name, role in staff] + [
        (f"v{v.id}", f"外委：{v.name}") for v in vendors if label in v.categories.split(",")
    ]


def assignee_choices(session: Session, p: Principal, rows: list[RepairOrder]) -> Mapping[str, list[tuple[str, str]]]:
    """The 派工 dialog's choices: those every chosen order may go to."""
    if not rows:
        return {"assignee": []}
    common = None
    for order in rows[:50]:
        offered = assignees(session, order)
        common = offered if common is None else [c for c in common if c in offered]
    return {"assignee": common or []}


def _dispatch(step: Step):
    def run(ctx: ActionContext[RepairOrder]) -> ActionResult:
        session, choice = ctx.session, str(ctx.values.get("assignee") or "")
        note = str(ctx.values.get("note") or "").strip()[:255]
        if not choice:
            raise ValidationFailed({"assignee": "请选择派工对象（员工或外委单位）"})
        now, result = clock.now(), ActionResult()
        for order in ctx.rows:
            why = refusal(ctx.principal, order, step)
            if not why and choice not in dict(assignees(session, order)):
                why = "派工对象须为本项目的员工或承接该类别的外委单位"
            if not why and step is REDISPATCH and choice == _current(order):
                why = "二次派工须派给另一位处理人"
            if why:
                result.refused.append((order.number, why))
                continue
            user_id = int(choice[1:]) if choice.startswith("u") else None
            vendor_id = int(choice[1:]) if choice.startswith("v") else None
            due = now + timedelta(hours=sla_hours(session, order))
            seq = order.dispatch_count + 1
            values = {
                "state": S.DISPATCHED,
                "dispatch_count": seq,
                "assignee_id": user_id,
                "vendor_id": vendor_id,
                "dispatched_at": now,
                "due_at": due,
                "accepted_at": None,
            }
            before = audit.snapshot(order, list(values))
            if not _move(session, order, **values):
                result.refused.append((order.number, f"已被他人处理，不能{step.name}，请刷新"))
                continue
            after = audit.snapshot(order, list(values))
            if before and after and before["state"] == after["state"]:  # 已派工 → 已派工: the engine tells moves only
                audit.record(session, ctx.principal, RESOURCE, order.id, "action:redispatch", before, after, "二次派工")
            session.add(
                RepairDispatch(
                    order_id=saved_id(order),
                    project_id=order.project_id,
                    seq=seq,
                    assignee_id=user_id,
                    vendor_id=vendor_id,
                    due_at=due,
                    note=note,
                    dispatched_by_id=ctx.principal.actor_id,
                    dispatched_at=now,
                )
            )
            session.flush()  # the (order, seq) key: a parallel dispatch that slipped past fails here
            result.done += 1
        return result

    return run


def _current(order: RepairOrder) -> str:
    return f"u{order.assignee_id}" if order.assignee_id else f"v{order.vendor_id}" if order.vendor_id else ""


dispatch = _dispatch(DISPATCH)
redispatch = _dispatch(REDISPATCH)


def accept(ctx: ActionContext[RepairOrder]) -> ActionResult:
    return _run(ctx, ACCEPT, {"state": S.ACCEPTED, "accepted_at": clock.now()})


# ---------------------------------------------------------------- 回单


def start_report(ctx: ActionContext[RepairOrder]) -> ActionResult:
    """填写回单: checks the step, then opens the 回单 form for the order (the form saves it: ``file_report``)."""
    result = ActionResult()
    for order in ctx.rows[:1]:
        why = refusal(ctx.principal, order, REPORT)
        if why:
            result.refused.append((order.number, why))
        else:
            result.done = 1
            result.notes.append("请在回单中填写处理结果、材料、费用和完工照片后保存")
            result.goto = f"/repairs/reports?f_order_id={order.id}&new=1"
    return result


def report_problems(session: Session, p: Principal, values: Mapping[str, Any]) -> dict[str, str]:
    """{field: message} of a 回单 about to be saved: the order's step and owner, the cost, the photos,
    and a charge only where the room has a tenant under an open contract and a 维修费 fee item."""
    errors: dict[str, str] = {}
    order = session.get(RepairOrder, values["order_id"]) if values.get("order_id") else None
    if order is None:
        return {"order_id": "工单不存在或无权访问"}
    why = refusal(p, order, REPORT)
    if why:
        errors["order_id"] = why
    if not str(values.get("work_done") or "").strip():
        errors["work_done"] = "处理结果不能为空"
    cost = values.get("cost")
    if cost is None:
        cost = Decimal(0)
    if cost < 0:
        errors["cost"] = "维修费用不能为负数"
    elif cost > MAX_COST:
        errors["cost"] = f"维修费用不能超过 ¥{MAX_COST:,.2f}"
    n = len(split_images(str(values.get("photos") or "")))
    if n > MAX_PHOTOS:
        errors["photos"] = f"完工照片最多 {MAX_PHOTOS} 张（当前 {n} 张）"
    if values.get("charge_tenant") and not errors:
        problem = _charge_problem(session, order, cost)
        if problem:
            errors["charge_tenant"] = problem
    return errors


def _fee_item(session: Session, project_id: int) -> FeeItem | None:
    items = session.exec(
        select(FeeItem).where(FeeItem.project_id == project_id, FeeItem.kind == FeeKind.NON_CONTRACT)
    ).all()
    return next((f for f in items if f.name == REPAIR_FEE), None)


def _charge_problem(session: Session, order: RepairOrder, cost: Decimal) -> str:
    if cost <= 0:
        return "向租客收费时维修费用须大于 0"
    if open_contract(session, order.room_id) is None:
        return "该房间没有待执行或执行中的合同，不能向租客收费"
    if _fee_item(session, order.project_id) is None:
        return f"本项目没有非合同类费项“{REPAIR_FEE}”，请先在费项管理中添加"
    return ""


def fill_report(session: Session, p: Principal, values: dict[str, Any]) -> None:
    """What a 回单 adds to the form's values: its order's project, who."""
    values.update(
        project_id=session.get_one(RepairOrder, values["order_id"]).project_id,
        reported_by_id=p.actor_id,
        work_done=str(values["work_done"]).strip(),
        cost=values.get("cost") or Decimal("0.00"),
    )


def file_report(session: Session, p: Principal, report: RepairReport) -> None:
    """The 回单 saved: the order moves 处理中 → 待回访 (on time or not), and a charge becomes a bill.
    In the form's transaction: a refusal here (the order moved meanwhile) leaves nothing written."""
    order = session.get_one(RepairOrder, report.order_id)
    now = clock.now()
    on_time = order.due_at is None or now <= order.due_at
    before = audit.snapshot(order, ["state", "reported_at", "on_time"])
    if not _move(session, order, state=S.REPORTED, reported_at=now, on_time=on_time):
        raise ValidationFailed({"order_id": "工单已被他人处理，请刷新"})
    after = audit.snapshot(order, ["state", "reported_at", "on_time"])
    audit.record(session, p, RESOURCE, order.id, "action:report", before, after, f"回单：{report.work_done[:60]}")
    if report.charge_tenant:
        c = open_contract(session, order.room_id)
        item = _fee_item(session, order.project_id)
        if c is None or item is None:  # checked above, in this transaction
            raise ValidationFailed({"charge_tenant": _charge_problem(session, order, report.cost)})
        bill = extra_fees.add_bill(session, c, item, report.cost, clock.today(), f"报修工单 {order.number}")
        session.flush()
        report.bill_id = bill.id
    session.add(report)
    session.flush()


# ---------------------------------------------------------------- 回访, 归档


def visit(ctx: ActionContext[RepairOrder]) -> ActionResult:
    score, comment = ctx.values.get("satisfaction"), str(ctx.values.get("visit_comment") or "").strip()
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed({"satisfaction": "满意度须为 1–5 分"})
    values = {
        "state": S.VISITED,
        "satisfaction": score,
        "visit_comment": comment[:255],
        "visited_by_id": ctx.principal.actor_id,
        "visited_at": clock.now(),
    }
    return _run(ctx, VISIT, values)


def archive(ctx: ActionContext[RepairOrder]) -> ActionResult:
    return _run(ctx, ARCHIVE, {"state": S.ARCHIVED, "archived_at": clock.now()})


# ---------------------------------------------------------------- overdue


def overdue_sql(now: datetime) -> sa.ColumnElement[bool]:
    """An order past its due time and not yet 回单."""
    return sa.and_(RepairOrder.state.in_(list(OPEN_WORK)), RepairOrder.due_at < now)


def overdue_rooms(session: Session, project_id: int, now: datetime | None = None) -> set[int]:
    """The rooms of a project with an overdue order (the board's wrench): one grouped query."""
    rows = session.execute(
        select(RepairOrder.room_id)
        .where(RepairOrder.project_id == project_id, overdue_sql(now or clock.now()))
        .group_by(RepairOrder.room_id)
    ).all()
    return {r for (r,) in rows}


def overdue_count(session: Session, project_id: int, now: datetime | None = None) -> int:
    """Overdue orders in the project (an index range count): the board's fingerprint of its wrenches."""
    return session.execute(
        select(sa.func.count())
        .select_from(RepairOrder)
        .where(RepairOrder.project_id == project_id, overdue_sql(now or clock.now()))
    ).scalar_one()


def bill_of(session: Session, report: RepairReport) -> Bill | None:
    return session.get(Bill, report.bill_id) if report.bill_id else None


# ---------------------------------------------------------------- 外委单位


def _category_labels(text: str) -> list[str]:
    return [t.strip() for t in text.replace("、", ",").replace("，", ",").split(",") if t.strip()]


def vendor_problems(values: Mapping[str, Any]) -> dict[str, str]:
    labels = _category_labels(str(values.get("categories") or ""))
    known = {c.label for c in RepairCategory}
    wrong = [t for t in labels if t not in known]
    if not labels:
        return {"categories": "请填写服务类别"}
    if wrong:
        return {"categories": f"服务类别“{wrong[0]}”无效，可选：{'、'.join(c.label for c in RepairCategory)}"}
    return {}


def canonical_categories(text: str) -> str:
    """ "门锁、水电" → "水电,门锁": the catalogue's order, each once."""
    labels = set(_category_labels(text))
    return ",".join(c.label for c in RepairCategory if c.label in labels)
