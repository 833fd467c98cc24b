"""Demo step for 在线签约设置 and 合同批量导入, in the first company (which 批量代扣 already opened, in
demo_withholding): its first project's settings (对日, 按月, 代扣开启 on its 代扣开始日, its own 合同条款, a
手工录入 门禁卡费 with its default amount), and one import of five contracts: one
confirmed yesterday and made real by yesterday's nightly batch (the batch's own code), one confirmed today
(waiting for tonight), three waiting to be confirmed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.core.clock import SHANGHAI
from clss_app.services import contract_imports
from clss_app.services.billing import add_months
from clss_app.services.jobs import SYSTEM
from models import (
    BillMode,
    Contract,
    ContractImport,
    ContractSource,
    FeeItem,
    FeeKind,
    ImportBatch,
    ImportState,
    PayCycle,
    PriceUnit,
    PricingStandard,
    Project,
    Room,
    RoomStatus,
    Tenant,
    utcnow,
)
from models.imports import batch_title

TERMS = """一、甲方将上述房屋出租给乙方作居住使用，乙方不得擅自改变房屋用途或转租。
二、租金及物业、网络等费用按月支付，由乙方签约的代扣银行卡于每月代扣开始日自动扣款；扣款失败的，乙方应在三日内补缴。
三、押金于合同终止、乙方结清全部费用并交还房屋后退还。
四、乙方应爱护房屋及设施，因使用不当造成损坏的，应负责修复或赔偿。
五、任何一方提前解除合同，应提前三十日书面通知对方，并按约定承担违约责任。"""


def seed_signing(ctx) -> None:
    from clss_app.demo import staff_id

    s, today = ctx.session, clock.today()
    company = ctx.ids["company"][0]
    project = s.get_one(Project, ctx.projects_by_company[company][0])
    project.bill_mode, project.pay_cycle, project.contract_terms = BillMode.SAME_DAY, PayCycle.MONTHLY, TERMS
    s.add(project)
    fee = FeeItem(
        project_id=project.id or 0,
        name="门禁卡费",
        kind=FeeKind.ONE_OFF,
        default_amount=Decimal("20.00"),
        description="门禁卡工本费，签约时按默认金额出账",
    )
    s.add(fee)
    s.flush()
    s.add(
        PricingStandard(
            fee_item_id=fee.id or 0,
            project_id=project.id or 0,
            name="门禁卡",
            unit_price=Decimal(0),
            unit=PriceUnit.MANUAL,
        )
    )
    # Rooms the project was built with (not its imported batch) and people with no lease yet, away from the
    # first and last ones the tests take.
    rooms = s.scalars(
        sa.select(Room)
        .where(Room.project_id == project.id, Room.status == RoomStatus.VACANT, Room.import_batch_id.is_(None))
        .order_by(Room.id.desc())
        .offset(3)
        .limit(5)
    ).all()
    tenants = s.scalars(
        sa.select(Tenant)
        .where(
            Tenant.company_id == company,
            Tenant.id_number != "",
            Tenant.id.not_in(sa.select(Contract.tenant_id)),
        )
        .order_by(Tenant.id)
        .offset(10)
        .limit(5)
    ).all()
    manager = staff_id(ctx, "manager")
    when = utcnow() - timedelta(days=1)
    batch = ImportBatch(
        title=batch_title("合同导入", when, f"合同导入-{project.name}.xlsx"),
        resource=contract_imports.RESOURCE,
        scene="合同导入",
        filename=f"合同导入-{project.name}.xlsx",
        user_id=manager,
        username="manager",
        org_unit_id=company,
        total=len(rooms),
        created_at=when,
    )
    s.add(batch)
    s.flush()
    confirmed = (today - timedelta(days=1), today)
    for i, (room, tenant) in enumerate(zip(rooms, tenants)):
        start = today + timedelta(days=3 + i)
        s.add(
            ContractImport(
                project_id=project.id or 0,
                room_id=room.id or 0,
                tenant_ref=tenant.id_number,
                tenant_id=tenant.id,
                start_date=start,
                end_date=add_months(start, 12) - timedelta(days=1),
                monthly_rent=room.rent,
                deposit=room.deposit,
                bill_mode=BillMode.SAME_DAY,
                cycle=PayCycle.MONTHLY,
                state=ImportState.CONFIRMED if i < len(confirmed) else ImportState.PENDING,
                confirmed_on=confirmed[i] if i < len(confirmed) else None,
                confirmed_by_id=manager if i < len(confirmed) else None,
                import_batch_id=batch.id,
                created_by_id=manager,
                created_at=batch.created_at,
            )
        )
    s.flush()
    signed, _ = contract_imports.sign_confirmed(s, SYSTEM, today - timedelta(days=1))  # yesterday's batch
    # It ran last night (23:30 in Beijing), the day its contract is signed.
    night = datetime.combine(today - timedelta(days=1), time(23, 30), tzinfo=SHANGHAI)
    s.execute(sa.update(Contract).where(Contract.source == ContractSource.IMPORT).values(created_at=night))
    ctx.counts["合同导入"] = len(rooms)
    ctx.counts["导入生成合同"] = signed
