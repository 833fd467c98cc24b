"""Demo step for 报修与工单, in the store manager's project (陈店长, 刘店助): two 外委单位 and seven orders, one in
each stage a store sees in a day:

- 待审核 (a leak reported this morning), 待派工 (a lock), 已驳回 (a repeat report, with the reason);
- 已派工 and overdue: a fridge sent to 刘店助 three days ago, 48 hours allowed (the board's wrench, 待我处理);
- 处理中 after a 二次派工: the network first sent to the vendor, then to 陈店长 two hours ago;
- 待回访 and 已归档 (rated 5), each with its 回单.

Rows are written as services/repairs.py writes them (its numbers, the due time from the category's SLA)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.services import params, repairs
from models import (
    Project,
    RepairCategory,
    RepairDispatch,
    RepairOrder,
    RepairReport,
    RepairState,
    RepairVendor,
    Room,
    RoomStatus,
    UserProject,
)

S = RepairState


def seed_repairs(ctx) -> None:
    from clss_app.demo import staff_id

    s, now = ctx.session, clock.now()
    manager, assistant = staff_id(ctx, "manager"), staff_id(ctx, "assistant")
    project_id = s.scalars(sa.select(UserProject.project_id).where(UserProject.user_id == manager)).first()
    if project_id is None:
        return
    company = s.get_one(Project, project_id).company_id
    vendors = [
        RepairVendor(
            company_id=company, name="京城水电维修服务部", contact="马师傅", phone="13911002233", categories="水电,门锁"
        ),
        RepairVendor(
            company_id=company, name="安居家电网络售后", contact="孙经理", phone="13811004455", categories="家电,网络"
        ),
    ]
    s.add_all(vendors)
    s.flush()
    rooms = s.scalars(
        sa.select(Room)
        .where(Room.project_id == project_id, Room.status == RoomStatus.OCCUPIED)
        .order_by(Room.id)
        .limit(7)
    ).all()
    if len(rooms) < 7:
        return

    def sla(cat: RepairCategory) -> timedelta:
        return timedelta(hours=int(params.enterprise_value(s, company, f"repair_sla_{cat.value}")))

    def order(k: int, cat: RepairCategory, text: str, state: RepairState, ago: timedelta, **more) -> RepairOrder:
        c = repairs.open_contract(s, rooms[k].id)
        o = RepairOrder(
            number=f"BX{(now - ago).astimezone(clock.SHANGHAI):%Y%m%d}{90 + k:04d}",
            project_id=project_id,
            room_id=rooms[k].id,
            tenant_id=c.tenant_id if c else None,
            contract_id=c.id if c else None,
            category=cat,
            description=text,
            state=state,
            registered_by_id=assistant,
            created_at=now - ago,
            **more,
        )
        s.add(o)
        s.flush()
        return o

    def dispatched(o: RepairOrder, seq: int, at, user=None, vendor=None) -> None:
        due = at + sla(RepairCategory(o.category))
        s.add(
            RepairDispatch(
                order_id=saved_id(o),
                project_id=project_id,
                seq=seq,
                assignee_id=user,
                vendor_id=vendor,
                due_at=due,
                dispatched_by_id=manager,
                dispatched_at=at,
                note="" if seq == 1 else "外委单位无法上门，改派店长处理",
            )
        )
        o.dispatch_count, o.assignee_id, o.vendor_id, o.dispatched_at, o.due_at = seq, user, vendor, at, due
        s.add(o)

    reviewed = {"reviewed_by_id": manager}
    order(
        0,
        RepairCategory.UTILITIES,
        "卫生间洗手盆下水管漏水，地面有积水",
        S.PENDING,
        timedelta(hours=2),
        preferred_time="今天下午",
    )
    order(
        1,
        RepairCategory.LOCK,
        "入户门智能锁无法识别指纹",
        S.APPROVED,
        timedelta(hours=5),
        reviewed_at=now - timedelta(hours=4),
        **reviewed,
    )
    order(
        2,
        RepairCategory.OTHER,
        "与上周报修的空调问题重复",
        S.REJECTED,
        timedelta(days=1),
        reason="重复报修，已有工单处理中",
        reviewed_at=now - timedelta(hours=20),
        **reviewed,
    )
    late = order(
        3,
        RepairCategory.APPLIANCE,
        "冰箱不制冷，冷藏室温度过高",
        S.DISPATCHED,
        timedelta(days=3, hours=2),
        reviewed_at=now - timedelta(days=3, hours=1),
        **reviewed,
    )
    dispatched(late, 1, now - timedelta(days=3), user=assistant)
    twice = order(
        4,
        RepairCategory.NETWORK,
        "房间宽带经常断线，路由器指示灯异常",
        S.ACCEPTED,
        timedelta(days=1, hours=3),
        reviewed_at=now - timedelta(days=1, hours=2),
        **reviewed,
    )
    dispatched(twice, 1, now - timedelta(days=1, hours=1), vendor=vendors[1].id)
    dispatched(twice, 2, now - timedelta(hours=2), user=manager)
    twice.accepted_at = now - timedelta(hours=1)
    for k, state, text, score in (
        (5, S.REPORTED, "淋浴花洒出水小，疑似堵塞", None),
        (6, S.ARCHIVED, "卧室顶灯不亮", 5),
    ):
        ago = timedelta(days=4 + k)
        o = order(k, RepairCategory.UTILITIES, text, state, ago, reviewed_at=now - ago + timedelta(hours=1), **reviewed)
        at = now - ago + timedelta(hours=2)
        dispatched(o, 1, at, user=assistant)
        o.accepted_at, o.reported_at, o.on_time = at + timedelta(hours=1), at + timedelta(hours=5), True
        if score:
            o.satisfaction, o.visit_comment, o.visited_by_id = score, "师傅很专业，处理及时", manager
            o.visited_at, o.archived_at = at + timedelta(days=1), at + timedelta(days=2)
        s.add(o)
        s.add(
            RepairReport(
                order_id=saved_id(o),
                project_id=project_id,
                work_done="清理花洒滤网，更换花洒" if k == 5 else "更换 LED 灯管",
                materials="花洒 1 个" if k == 5 else "LED 灯管 1 根",
                cost=Decimal("35.00") if k == 5 else Decimal("20.00"),
                reported_by_id=assistant,
                created_at=o.reported_at,
            )
        )
    s.flush()
    ctx.counts["报修工单"] = 7
