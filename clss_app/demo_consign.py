"""Demo step for 存房易: the two Beijing companies take part (企业参数 存房易开通), and five landlords'
applications reached both, each at another step. The landlords' steps come as the 建融家园 APP signs them
(sandbox/landlord_app.message) through the handler the app's notify route runs; the companies'
reviews and the one drafted contract are written as done and told to the APP.

- 王建国's, two days old: 待审核 at both;
- 刘芳's, five days old: 京安居 approved it three days ago (待房东选择), 燕园 turned it down;
- 赵磊's, twenty days old and never reviewed: the daily job lapsed it (已失效);
- 陈静's: both approved, she chose 京安居 (待拟定合同), 燕园's approval lapsed;
- 孙伟's: 京安居's 存房合同 signed on the APP (执行中) with its payable schedule.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.core.privacy import check_digit
from clss_app.sandbox.landlord_app import message
from clss_app.services import consign
from models import (
    BillMode,
    ConsignApplication,
    ConsignContract,
    ConsignContractState,
    ConsignState,
    EnterpriseParam,
    PayCycle,
)


def _id_number(first17: str) -> str:
    return first17 + check_digit(first17)


# (name, phone, id first 17, address, area, layout, rent, months, days ago)
LANDLORDS = [
    (
        "王建国",
        "13901012345",
        "11010519750312123",
        "北京市朝阳区望京西园三区 312 号楼 1502",
        "89.5",
        "2室1厅1卫",
        "6800",
        36,
        2,
    ),
    (
        "刘芳",
        "13801026789",
        "11010819820615224",
        "北京市海淀区学院路 20 号院 7 号楼 603",
        "62.0",
        "1室1厅1卫",
        "5200",
        24,
        5,
    ),
    (
        "赵磊",
        "13701034567",
        "11010619800101313",
        "北京市丰台区方庄芳城园一区 5 号楼 801",
        "75.3",
        "2室1厅1卫",
        "5600",
        12,
        20,
    ),
    (
        "陈静",
        "13601048899",
        "11011219881120402",
        "北京市通州区新华西街 58 号院 2 号楼 1101",
        "98.0",
        "3室1厅1卫",
        "6300",
        36,
        15,
    ),
    (
        "孙伟",
        "13501052468",
        "11010519790808515",
        "北京市朝阳区团结湖北里 9 号楼 402",
        "56.8",
        "1室1厅1卫",
        "5900",
        24,
        40,
    ),
]
PAYEE_CARD = "6217000010002345679"  # a valid Luhn number


def _receive(s: Any, kind: str, at: datetime, **fields: Any) -> None:
    answer = consign.receive(s, json.dumps(message(kind, at, **fields)).encode())
    if answer.status != 200:
        raise RuntimeError(f"demo 存房易 {kind}: {answer.body}")


def _review(s: Any, row_id: int, by: int, at: datetime, approve: bool, reason: str = "") -> None:
    day = consign.business_day(at)
    values: dict[str, Any] = dict(
        state=ConsignState.APPROVED if approve else ConsignState.REJECTED,
        reviewed_by_id=by,
        reviewed_at=at,
        reason=reason,
    )
    if approve:
        values["valid_until"] = day + timedelta(days=consign.VALID_DAYS)
    s.execute(sa.update(ConsignApplication).where(ConsignApplication.id == row_id).values(**values))


def seed_consign(ctx) -> None:
    from clss_app.demo import staff_id

    s, now = ctx.session, clock.now()
    jing, yan = ctx.ids["company"][0], ctx.ids["company"][1]
    for company in (jing, yan):
        s.add(EnterpriseParam(company_id=company, key="consign_enabled", value="是", remark="存房易开通"))
    s.flush()
    manager, principal2 = staff_id(ctx, "manager"), staff_id(ctx, "principal2")
    rows: list[dict[int, int]] = []
    for n, (name, phone, first17, address, area, layout, rent, months, ago) in enumerate(LANDLORDS):
        app_no = f"JR{(now - timedelta(days=ago)).astimezone(clock.SHANGHAI):%Y%m%d}{n + 1:04d}"
        _receive(
            s,
            "apply",
            now - timedelta(days=ago, hours=3),
            app_no=app_no,
            city="北京",
            landlord_name=name,
            landlord_phone=phone,
            landlord_id_number=_id_number(first17),
            house_address=address,
            house_area=area,
            layout=layout,
            expected_rent=rent,
            expected_months=months,
        )
        found = s.execute(
            sa.select(ConsignApplication.company_id, ConsignApplication.id).where(ConsignApplication.number == app_no)
        ).all()
        rows.append(dict(found))
    # 刘芳: 京安居 approved, 燕园 declined.
    _review(s, rows[1][jing], manager, now - timedelta(days=3), True, "房源位置好，可收")
    _review(s, rows[1][yan], principal2, now - timedelta(days=3), False, "该区域暂无收房计划")
    # 陈静: both approved; she chose 京安居.
    _review(s, rows[3][jing], manager, now - timedelta(days=13), True)
    _review(s, rows[3][yan], principal2, now - timedelta(days=12), True)
    _receive(s, "choose", now - timedelta(days=6), app_no=_app_no(s, rows[3][jing]), company_id=jing)
    # 孙伟: approved, chosen, drafted and signed.
    _review(s, rows[4][jing], manager, now - timedelta(days=38), True)
    _receive(s, "choose", now - timedelta(days=35), app_no=_app_no(s, rows[4][jing]), company_id=jing)
    s.execute(
        sa.update(ConsignApplication).where(ConsignApplication.id == rows[4][jing]).values(state=ConsignState.DRAFTED)
    )
    row = s.get(ConsignApplication, rows[4][jing])
    start = consign.business_day(now - timedelta(days=30))
    contract = ConsignContract(
        number=f"CF{start:%Y%m%d}0001",
        application_id=row.id,
        company_id=jing,
        **consign.landlord_house(row),
        start_date=start,
        end_date=start.replace(year=start.year + 2) - timedelta(days=1),
        monthly_rent=Decimal("5800.00"),
        cycle=PayCycle.QUARTERLY,
        bill_mode=BillMode.SAME_DAY,
        payee_bank="中国建设银行",
        payee_card_no=PAYEE_CARD,
        state=ConsignContractState.DRAFTED,
        drafted_by_id=manager,
        drafted_at=now - timedelta(days=33),
    )
    s.add(contract)
    s.flush()
    _receive(s, "sign", now - timedelta(days=32), app_no=row.number, contract_no=contract.number)
    # 赵磊: never reviewed, lapsed by the daily job.
    consign.expire_lapsed(s, clock.today())
    ctx.counts["存房申请"] = s.execute(sa.select(sa.func.count()).select_from(ConsignApplication)).scalar_one()
    ctx.counts["存房合同"] = 1


def _app_no(s: Any, row_id: int) -> str:
    return s.execute(sa.select(ConsignApplication.number).where(ConsignApplication.id == row_id)).scalar_one()
