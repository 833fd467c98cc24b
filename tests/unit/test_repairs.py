"""报修与工单: a repair from 登记 to 归档 through the engine as the pages drive it (a 二次派工 keeping the first,
a 回单 charging the tenant a 非合同类 bill), each step refused to the wrong role, the wrong state and another
company's staff naming the step; bad input at its field; overdue orders on 待我处理 and the board; the report's
figures against plain SQL over the demo's orders."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import menu
from clss_app.admin import crud
from clss_app.admin.query import ListQuery, count
from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.results import ActionContext
from clss_app.services import inbox, ledger, repairs, room_board
from clss_app.services import repair_figures as rf
from clss_app.services.permissions import Forbidden
from models import (
    AuditLog,
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    RepairDispatch,
    RepairOrder,
    RepairState,
    RepairVendor,
    Room,
    User,
)

S = RepairState
PHOTO = "0123456789abcdef0123456789abcdef.png"
TEN = ",".join(f"{k:032x}.jpg" for k in range(10))


def _user_id(session, login: str) -> int:
    return session.exec(select(User.id).where(User.username == login)).one()


def _room_with_tenant(session, principal) -> Room:
    """A room of the principal's project under an open contract, without a demo order on it."""
    busy = select(RepairOrder.room_id)
    c = session.exec(
        select(Contract)
        .where(
            Contract.state == ContractState.ACTIVE,
            Contract.project_id.in_(sorted(principal.project_ids or [])),
            Contract.room_id.not_in(busy),
        )
        .order_by(Contract.id)
    ).first()
    assert c is not None
    return session.get_one(Room, c.room_id)


def _act(session, app_site, who, name: str, order: RepairOrder, text: str = "", **raw):
    admin = app_site.admin("repairs")
    action = next(a for a in admin.actions if a.name == name)
    return crud.run_action(session, admin, action, who, [order.id], text=text, raw=raw)


def _register(session, app_site, who, room: Room, **more) -> RepairOrder:
    raw = {"room_id": str(room.id), "category": "appliance", "description": "空调不制冷", **more}
    uploaded = {"photos": set(raw.get("photos", "").split(","))}  # as if this form had uploaded them
    row, _ = crud.create(session, app_site.admin("repairs"), who, raw, uploaded)
    return row


def test_a_repair_walks_from_registration_to_archive_with_a_second_dispatch_and_a_charge(
    session, principal_of, app_site
):
    manager, assistant = principal_of("manager"), principal_of("assistant")
    room = _room_with_tenant(session, assistant)
    order = _register(session, app_site, assistant, room, urgency="urgent", photos=PHOTO, preferred_time="周六上午")
    contract = repairs.open_contract(session, room.id)
    assert order.state == S.PENDING and order.number.startswith(f"BX{clock.today():%Y%m%d}")
    assert (order.tenant_id, order.contract_id, order.project_id) == (contract.tenant_id, contract.id, room.project_id)

    assert _act(session, app_site, manager, "approve", order).done == 1
    assert order.state == S.APPROVED

    vendor = RepairVendor(company_id=manager.unit_id, name="测试家电维修", categories="家电")
    session.add(vendor)
    session.flush()
    offered = dict(repairs.assignees(session, order))
    assert f"u{_user_id(session, 'assistant')}" in offered and f"v{vendor.id}" in offered
    assert not any(v.startswith("外委：京城水电") for v in offered.values())  # it takes no 家电

    before = clock.now()
    assert _act(session, app_site, manager, "dispatch", order, assignee=f"v{vendor.id}", note="先派外委").done == 1
    assert order.state == S.DISPATCHED and order.vendor_id == vendor.id and order.assignee_id is None
    assert timedelta(hours=47, minutes=59) < order.due_at - before < timedelta(hours=48, minutes=1)  # 家电: 48 h

    me = f"u{_user_id(session, 'assistant')}"
    assert _act(session, app_site, manager, "redispatch", order, assignee=me).done == 1
    same = _act(session, app_site, manager, "redispatch", order, assignee=me)
    assert same.refused == [(order.number, "二次派工须派给另一位处理人")]
    history = session.exec(select(RepairDispatch).where(RepairDispatch.order_id == order.id).order_by("seq")).all()
    assert [(d.seq, d.vendor_id, d.assignee_id) for d in history] == [
        (1, vendor.id, None),
        (2, None, _user_id(session, "assistant")),
    ]
    assert order.dispatch_count == 2 and order.assignee_id == _user_id(session, "assistant")

    assert _act(session, app_site, assistant, "accept", order).done == 1
    assert order.state == S.ACCEPTED and order.accepted_at is not None
    goto = _act(session, app_site, assistant, "report", order)
    assert goto.goto == f"/repairs/reports?f_order_id={order.id}&new=1"
    assert order.state == S.ACCEPTED  # opening the form moves nothing

    raw = {
        "order_id": str(order.id),
        "work_done": "更换压缩机启动电容",
        "materials": "启动电容 1 个",
        "cost": "120.50",
        "charge_tenant": "true",
        "photos": PHOTO,
    }
    report, note = crud.create(session, app_site.admin("repair_reports"), assistant, raw, {"photos": {PHOTO}})
    session.refresh(order)
    assert order.state == S.REPORTED and order.on_time is True and "维修费账单" in note
    bill = session.get_one(Bill, report.bill_id)
    assert (bill.kind, bill.amount, bill.state, bill.contract_id) == (
        BillKind.EXTRA,
        Decimal("120.50"),
        BillState.UNCONFIRMED,
        contract.id,
    )
    assert bill.fee_name == "维修费" and order.number in bill.remark

    with pytest.raises(ValidationFailed) as bad:
        _act(session, app_site, assistant, "visit", order, satisfaction="6")
    assert "satisfaction" in bad.value.errors
    assert _act(session, app_site, assistant, "visit", order, satisfaction="4", visit_comment="满意").done == 1
    assert (order.state, order.satisfaction) == (S.VISITED, 4)
    with pytest.raises(Forbidden):  # 归档 is the managers'
        _act(session, app_site, assistant, "archive", order)
    assert _act(session, app_site, manager, "archive", order).done == 1
    assert order.state == S.ARCHIVED

    moves = session.exec(
        select(AuditLog.action).where(AuditLog.resource == "repairs", AuditLog.row_id == order.id).order_by(AuditLog.id)
    ).all()
    for step in ("create", "approve", "dispatch", "redispatch", "accept", "report", "visit", "archive"):
        assert any(step in m for m in moves), (step, moves)
    assert ledger.mismatches(session) == []


def test_a_step_out_of_turn_or_by_the_wrong_role_is_refused_naming_the_step(session, principal_of, app_site):
    manager, assistant, finance = principal_of("manager"), principal_of("assistant"), principal_of("finance")
    order = _register(session, app_site, assistant, _room_with_tenant(session, assistant))

    def step(fn, who, **values):
        return fn(ActionContext(session, who, [order], values=values)).refused

    assert step(repairs.accept, manager) == [(order.number, "工单当前为待审核，不能接单")]
    assert step(repairs.archive, manager) == [(order.number, "工单当前为待审核，不能归档")]
    assert step(repairs.decide(True), assistant)[0][1].startswith("店助不能审核（审核由")
    assert step(repairs.decide(True), finance)[0][1].startswith("财务不能审核")
    with pytest.raises(Forbidden):  # the engine refuses first: the role holds no grant for it
        _act(session, app_site, assistant, "approve", order)
    with pytest.raises(Forbidden):  # not applicable in this state: nothing written
        _act(session, app_site, manager, "accept", order)
    _act(session, app_site, manager, "approve", order)
    assert step(repairs.start_report, assistant) == [(order.number, "工单当前为待派工，不能回单")]
    with pytest.raises(ValidationFailed):  # nobody chosen
        repairs.dispatch(ActionContext(session, manager, [order], values={}))
    forged = step(repairs.dispatch, manager, assignee="u999999")
    assert forged == [(order.number, "派工对象须为本项目的员工或承接该类别的外委单位")]
    _act(session, app_site, manager, "dispatch", order, assignee=f"u{_user_id(session, 'manager')}")
    # Sent to the manager: the assistant may not take it over on their own.
    assert step(repairs.accept, assistant) == [(order.number, "工单已派给其他员工，只有处理人本人或店长可以接单")]
    assert step(repairs.visit, assistant, satisfaction=5) == [(order.number, "工单当前为已派工，不能回访")]

    # Another company's staff: as if it did not exist, at the service and in the engine.
    other = principal_of("store2")
    assert step(repairs.accept, other) == [(order.number, "记录不存在或无权访问")]
    forged = _act(session, app_site, other, "accept", order)
    assert forged.done == 0 and forged.refused == [(f"#{order.id}", "记录不存在或无权访问")]
    assert session.get_one(RepairOrder, order.id).state == S.DISPATCHED


def test_a_stale_page_loses_the_race_and_changes_nothing(session, principal_of, app_site):
    manager, assistant = principal_of("manager"), principal_of("assistant")
    order = _register(session, app_site, assistant, _room_with_tenant(session, assistant))
    session.execute(
        sa.update(RepairOrder)
        .where(RepairOrder.id == order.id)
        .values(state=S.REJECTED)
        .execution_options(synchronize_session=False)
    )
    # ``order`` still reads 待审核, as the other clerk's page did
    out = repairs.decide(True)(ActionContext(session, manager, [order]))
    assert out.done == 0 and out.refused == [(order.number, "已被他人处理，不能审核，请刷新")]
    assert session.scalar(select(RepairOrder.state).where(RepairOrder.id == order.id)) == S.REJECTED


def test_bad_input_is_refused_at_its_field(session, principal_of, app_site):
    assistant, other = principal_of("assistant"), principal_of("store2")
    room = _room_with_tenant(session, assistant)
    problems = repairs.registration_problems
    assert problems(session, assistant, {"room_id": room.id, "description": "  "}) == {
        "description": "问题描述不能为空"
    }
    long = problems(session, assistant, {"room_id": room.id, "description": "漏" * 501})
    assert long == {"description": "问题描述不能超过 500 个字符（当前 501 个）"}
    ten = TEN
    assert problems(session, assistant, {"room_id": room.id, "description": "x", "photos": ten}) == {
        "photos": "报修照片最多 9 张（当前 10 张）"
    }
    assert problems(session, other, {"room_id": room.id, "description": "x"}) == {"room_id": "房间不存在或无权访问"}
    assert (
        "不能登记报修"
        in problems(session, principal_of("finance"), {"room_id": room.id, "description": "x"})["room_id"]
    )
    with pytest.raises(ValidationFailed) as bad:  # the engine's own form: nine at most, and nothing written
        _register(session, app_site, assistant, room, photos=ten)
    assert "photos" in bad.value.errors
    with pytest.raises(ValidationFailed) as bad:
        _register(session, app_site, assistant, room, description="")
    assert "description" in bad.value.errors
    assert session.scalar(select(sa.func.count()).where(RepairOrder.room_id == room.id)) == 0

    manager = principal_of("manager")
    order = _register(session, app_site, assistant, room)
    for name, raw in (
        ("approve", {}),
        ("dispatch", {"assignee": f"u{_user_id(session, 'assistant')}"}),
        ("accept", {}),
    ):
        _act(session, app_site, manager if name != "accept" else assistant, name, order, **raw)
    report = {"order_id": order.id, "work_done": "修好", "cost": Decimal("-1")}
    assert repairs.report_problems(session, assistant, report) == {"cost": "维修费用不能为负数"}
    zero = {**report, "cost": Decimal(0), "charge_tenant": True}
    assert repairs.report_problems(session, assistant, zero) == {"charge_tenant": "向租客收费时维修费用须大于 0"}
    assert repairs.report_problems(session, assistant, {**report, "cost": Decimal(1), "work_done": ""}) == {
        "work_done": "处理结果不能为空"
    }
    assert repairs.report_problems(session, other, {**report, "cost": Decimal(1)}) == {
        "order_id": "记录不存在或无权访问"
    }
    with pytest.raises(ValidationFailed) as bad:
        crud.create(session, app_site.admin("repair_reports"), assistant, {**report, "cost": "-5"})
    assert "cost" in bad.value.errors
    assert session.get_one(RepairOrder, order.id).state == S.ACCEPTED
    with pytest.raises(ValidationFailed) as bad:
        repairs.visit(ActionContext(session, assistant, [order], values={"satisfaction": 0}))
    assert bad.value.errors == {"satisfaction": "满意度须为 1–5 分"}

    assert repairs.vendor_problems({"categories": "水电、吹风"}) == {
        "categories": "服务类别“吹风”无效，可选：水电、家电、门锁、网络、其他"
    }
    assert repairs.canonical_categories("门锁、水电，门锁") == "水电,门锁"


def test_a_room_without_a_tenant_cannot_be_charged(session, principal_of, app_site):
    assistant, manager = principal_of("assistant"), principal_of("manager")
    vacant = session.exec(
        select(Room).where(Room.project_id.in_(sorted(assistant.project_ids or [])), Room.status == "vacant")
    ).first()
    order = _register(session, app_site, assistant, vacant)
    assert order.tenant_id is None
    for name, who, raw in (
        ("approve", manager, {}),
        ("dispatch", manager, {"assignee": f"u{_user_id(session, 'assistant')}"}),
        ("accept", assistant, {}),
    ):
        _act(session, app_site, who, name, order, **raw)
    asked = {"order_id": order.id, "work_done": "修好", "cost": Decimal(50), "charge_tenant": True}
    assert repairs.report_problems(session, assistant, asked) == {
        "charge_tenant": "该房间没有待执行或执行中的合同，不能向租客收费"
    }


def test_overdue_orders_show_on_the_inbox_and_the_board(session, principal_of, app_site):
    assistant = principal_of("assistant")
    late = session.exec(select(RepairOrder).where(repairs.overdue_sql(clock.now()))).all()
    assert [o.description[:3] for o in late] == ["冰箱不"]  # the demo's one overdue order
    items = {i["item"]: i for i in inbox.todo(session, assistant, menu.visible_keys(assistant.role))}
    item = items["超时未回单工单"]
    assert item["count"] == "1" and item["key"] == "repairs"
    # The item's link lists exactly those orders.
    params = dict(kv.split("=", 1) for kv in item["query"].split("&"))
    wanted = ListQuery(filters={k.removeprefix("f_"): v for k, v in params.items()})
    assert count(session, app_site.admin("repairs"), assistant, wanted)[0] == 1
    marks = room_board.board_marks(session, late[0].project_id)
    assert [r for r, m in marks.items() if m["repair"]] == [late[0].room_id]
    assert room_board.signature(session, late[0].project_id)[3] == 1
    # Not overdue a minute before its due time; finance is not asked to repair anything.
    assert repairs.overdue_rooms(session, late[0].project_id, late[0].due_at - timedelta(minutes=1)) == set()
    finance = principal_of("finance")
    assert "超时未回单工单" not in {i["item"] for i in inbox.todo(session, finance, menu.visible_keys(finance.role))}


def test_the_report_figures_match_plain_sql_and_drill_down_to_their_orders(session, principal_of, app_site):
    manager = principal_of("manager")
    project = sorted(manager.project_ids or [])[0]
    # One order made at 01:00 on the month's first Beijing day: still the previous day in UTC.
    edge = session.exec(select(RepairOrder).where(RepairOrder.project_id == project).order_by(RepairOrder.id)).first()
    edge.created_at = rf.Month.of(clock.today().replace(day=1)).bounds()[0] + timedelta(hours=1)
    session.add(edge)
    session.flush()
    for first in rf.months_back(clock.today(), 2):
        month = rf.Month.of(first)
        d = rf.report(session, manager, project, month)
        start, end = month.bounds()
        # created_at is stored as naive UTC: the month's Beijing midnights, in UTC.
        a, b = (t.astimezone(UTC).replace(tzinfo=None) for t in (start, end))
        args = {"p": project, "a": a, "b": b}

        def n(where: str, args=args) -> int:
            month_of = "project_id = :p AND created_at >= :a AND created_at < :b"
            sql = f"SELECT count(*) FROM repair_order WHERE {month_of} {where}"
            return session.execute(sa.text(sql), args).scalar_one()

        assert d["orders"] == n("")
        assert d["done"] == n("AND state IN ('reported', 'visited', 'archived')")
        assert d["handled"] == n("AND state NOT IN ('pending', 'rejected')")
        assert d["redispatched"] == n("AND dispatch_count >= 2")
        assert d["dispatched"] == n("AND dispatch_count >= 1")
        assert d["on_time_n"] == n("AND on_time AND state IN ('reported', 'visited', 'archived')")
    d = rf.report(session, manager, project, rf.Month.of(clock.today().replace(day=1)))
    total = sum(
        rf.report(session, manager, project, rf.Month.of(m))["orders"] for m in rf.months_back(clock.today(), 2)
    )
    assert total == 7  # every demo order, in this month or the last

    dash = app_site.dashboard("repair_stats")
    shown = dash.render_values(session, manager, {"project": str(project), "month": f"{clock.today():%Y-%m}"})
    assert shown["stats"]["orders"] == f"{d['orders']:,}"
    link = shown["stat_links"]["redispatch"]
    assert link.startswith("/repairs/orders?") and "f_dispatch_count__gte=2" in link
    assert shown["stat_links"]["on_time"].count("f_on_time=true") == 1
    with pytest.raises(Forbidden):
        dash.render_values(session, principal_of("finance"), {})


def test_an_order_is_edited_only_while_it_waits_for_review(session, principal_of, app_site):
    manager, assistant = principal_of("manager"), principal_of("assistant")
    room = _room_with_tenant(session, assistant)
    vacant = session.exec(
        select(Room).where(Room.project_id == room.project_id, Room.status == "vacant").order_by(Room.id)
    ).first()
    order = _register(session, app_site, assistant, vacant)
    admin = app_site.admin("repairs")
    raw = {"room_id": str(room.id), "category": "lock", "description": "门锁松动 ", "urgency": "normal"}
    crud.update(session, admin, assistant, order.id, raw, order.version)
    session.refresh(order)
    assert (order.room_id, order.tenant_id, order.description) == (
        room.id,
        repairs.open_contract(session, room.id).tenant_id,
        "门锁松动",
    )
    _act(session, app_site, manager, "approve", order)
    with pytest.raises(Forbidden):
        crud.update(session, admin, assistant, order.id, raw, order.version)
