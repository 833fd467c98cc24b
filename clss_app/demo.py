"""Deterministic demo data: the same seed and scale give the same database.

``generate(scale)`` runs each step in ``STEPS`` in order with one shared
context (the random generator, the scale and the ids made so far). Later
issues extend the demo by appending steps (contracts, bills, marketing,
index series); a step inserts in bulk so that scale 70 (about 100k rooms)
stays a matter of seconds.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session

from clss_app import db
from clss_app.services.auth import hash_password
from models import (Building, DataScope, FeeItem, FeeKind, Floor, ImportBatch, OrgUnit, PriceUnit,
                    PricingStandard, Project, ProjectKind, PublishState, RentMode, Role, Room, RoomStatus, UnitKind,
                    UnitType, User, UserProject, utcnow)

DEMO_PASSWORD = "Clss@2026"

# (login, name, role, company index or branch index, projects of that company assigned)
DEMO_LOGINS: list[tuple[str, str, Role]] = [
    ("super", "周总行", Role.SUPER_ADMIN),
    ("sysadmin", "王系统", Role.SYSTEM_ADMIN),
    ("principal", "李负责", Role.PRINCIPAL),
    ("multistore", "赵多店", Role.MULTI_STORE_MANAGER),
    ("manager", "陈店长", Role.STORE_MANAGER),
    ("assistant", "刘店助", Role.STORE_ASSISTANT),
    ("finance", "孙财务", Role.FINANCE),
]

BRANCHES = [
    ("北京分行", "北京", ["朝阳区", "海淀区", "丰台区", "通州区"]),
    ("上海分行", "上海", ["浦东新区", "徐汇区", "闵行区", "静安区"]),
    ("深圳分行", "深圳", ["南山区", "福田区", "龙华区", "宝安区"]),
]
# (branch index, name, whitelist, operating-type)
COMPANIES = [
    (0, "京安居住房租赁有限公司", True, False),
    (0, "燕园公寓管理有限公司", False, False),
    (1, "申城安居企业管理有限公司", False, True),
    (1, "浦江寓所租赁有限公司", False, False),
    (2, "鹏城长租公寓有限公司", False, False),
]
CENTRAL_NAMES = ["青年汇", "悦居", "星河公寓", "智汇家", "新青年社区", "安居苑", "泊寓", "城市之光"]
SCATTERED_NAMES = ["邻里", "家园", "优家", "乐居", "安心寓", "暖居"]
COMMUNITIES = ["金地格林小镇", "万科城市花园", "保利西山林语", "华润橡树湾", "龙湖春江郦城",
               "中海国际社区", "招商雍景湾", "绿地海珀"]
ORIENTATIONS = ["南", "北", "东", "西", "东南", "西南"]
STATUS_WEIGHTS = [(RoomStatus.OCCUPIED, 68), (RoomStatus.VACANT, 17), (RoomStatus.LOCKED, 5),
                  (RoomStatus.RESERVED, 5), (RoomStatus.SIGNED, 5)]


@dataclass
class DemoContext:
    session: Session
    rng: random.Random
    scale: int
    ids: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self._next[table] = self._next.get(table, 0) + 1
        return self._next[table]

    def bulk(self, model, rows: list[dict], label: str) -> None:
        if rows:
            self.session.execute(sa.insert(model), rows)
        self.counts[label] = self.counts.get(label, 0) + len(rows)


def seed_org(ctx: DemoContext) -> None:
    units = [dict(id=ctx.next_id("org"), name="总行", kind=UnitKind.HQ, parent_id=None, city="")]
    branch_ids = []
    for name, city, _ in BRANCHES:
        bid = ctx.next_id("org")
        branch_ids.append(bid)
        units.append(dict(id=bid, name=name, kind=UnitKind.BRANCH, parent_id=units[0]["id"], city=city))
    company_ids = []
    for bidx, name, white, operating in COMPANIES:
        cid = ctx.next_id("org")
        company_ids.append(cid)
        units.append(dict(id=cid, name=name, kind=UnitKind.COMPANY, parent_id=branch_ids[bidx],
                          city=BRANCHES[bidx][1], is_whitelist=white, is_operating=operating))
    for u in units:
        u.setdefault("is_whitelist", False)
        u.setdefault("is_operating", False)
    ctx.bulk(OrgUnit, units, "机构")
    ctx.ids["hq"] = [units[0]["id"]]
    ctx.ids["branch"] = branch_ids
    ctx.ids["company"] = company_ids


CITY_CENTRES = {"北京": (Decimal("116.40"), Decimal("39.90")), "上海": (Decimal("121.47"), Decimal("31.23")),
                "深圳": (Decimal("114.06"), Decimal("22.54"))}
UNIT_TYPES = [("整租一居", RentMode.WHOLE, 1, 1, 1, 38), ("整租两居", RentMode.WHOLE, 2, 1, 1, 68),
              ("合租主卧", RentMode.SHARED, 1, 0, 1, 22)]
FEE_ITEMS = [  # name, kind, [(standard, unit price, unit)]
    ("物业费", FeeKind.PERIODIC, [("标准物业费", "2.50", PriceUnit.PER_SQM_MONTH)]),
    ("网费", FeeKind.PERIODIC, [("100M宽带", "50.00", PriceUnit.PER_MONTH)]),
    ("水费", FeeKind.METERED, [("民用水", "5.20", PriceUnit.PER_TON)]),
    ("电费", FeeKind.METERED, [("民用电", "0.65", PriceUnit.PER_KWH), ("商用电", "1.20", PriceUnit.PER_KWH)]),
    ("保洁费", FeeKind.ONE_OFF, [("退房保洁", "80.00", PriceUnit.FIXED)]),
    ("维修费", FeeKind.NON_CONTRACT, [("上门维修", "50.00", PriceUnit.FIXED)]),
]


def _room_row(ctx, pid, bid, fid, number, kind, floor_no=1, city="", unit_type=None):
    area = Decimal(ctx.rng.choice([18, 22, 25, 28, 32, 38, 45, 55, 68, 85, 95])) + \
        Decimal(ctx.rng.randint(0, 99)) / 100
    base = 60 if kind == ProjectKind.CENTRALIZED else 75
    rent = (area * base).quantize(Decimal("100")) + Decimal(ctx.rng.choice([0, 50]))
    status = ctx.rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    lng, lat = CITY_CENTRES.get(city, (None, None))
    located = lng is not None and ctx.rng.random() < 0.6
    return dict(id=ctx.next_id("room"), project_id=pid, building_id=bid, floor_id=fid, floor_no=floor_no,
                number=number, area=area, rent=rent, deposit=rent, unit_type_id=unit_type,
                orientation=ctx.rng.choice(ORIENTATIONS), status=status,
                longitude=lng + Decimal(ctx.rng.randint(-20000, 20000)) / 100000 if located else None,
                latitude=lat + Decimal(ctx.rng.randint(-20000, 20000)) / 100000 if located else None)


def seed_housing(ctx: DemoContext) -> None:
    projects, buildings, floors, rooms, unit_types = [], [], [], [], []
    by_company: dict[int, list[int]] = {}
    for cidx, company_id in enumerate(ctx.ids["company"]):
        bidx = COMPANIES[cidx][0]
        _, city, districts = BRANCHES[bidx]
        for k in range(2 * ctx.scale):
            kind = ProjectKind.CENTRALIZED if k % 2 == 0 else ProjectKind.SCATTERED
            district = districts[(cidx + k) % len(districts)]
            names = CENTRAL_NAMES if kind == ProjectKind.CENTRALIZED else SCATTERED_NAMES
            name = f"{district[:2]}{names[(cidx + k) % len(names)]}" + (f"{k // 2 + 1}期" if k >= 2 else "")
            pid = ctx.next_id("project")
            by_company.setdefault(company_id, []).append(pid)
            published = COMPANIES[cidx][2] or k % 3 != 2
            projects.append(dict(
                id=pid, name=name, company_id=company_id, city=city, district=district,
                address=f"{city}市{district}{ctx.rng.choice(['建设路', '人民路', '科技园路', '滨河大道'])}"
                        f"{ctx.rng.randint(1, 399)}号",
                kind=kind, publish_state=PublishState.PUBLISHED if published else PublishState.DRAFT,
                visible=published))
            if kind == ProjectKind.CENTRALIZED:
                types = []
                for tname, mode, bed, hall, bath, area in UNIT_TYPES:
                    tid = ctx.next_id("unit_type")
                    types.append(tid)
                    unit_types.append(dict(id=tid, project_id=pid, name=tname, rent_mode=mode, bedrooms=bed,
                                           halls=hall, baths=bath, area=Decimal(area), orientation="南",
                                           reference_rent=Decimal(area * 60), photos=""))
                for b in range(ctx.rng.randint(2, 3)):
                    bid = ctx.next_id("building")
                    buildings.append(dict(id=bid, project_id=pid, name=f"{b + 1}号楼"))
                    for f in range(1, ctx.rng.randint(6, 10) + 1):
                        fid = ctx.next_id("floor")
                        floors.append(dict(id=fid, building_id=bid, number=f))
                        for r in range(1, ctx.rng.randint(8, 12) + 1):
                            rooms.append(_room_row(ctx, pid, bid, fid, f"{b + 1}-{f}{r:02d}", kind, f, city,
                                                   ctx.rng.choice(types)))
            else:
                for b, community in enumerate(ctx.rng.sample(COMMUNITIES, 4)):
                    bid = ctx.next_id("building")
                    block = ctx.rng.randint(1, 20)
                    buildings.append(dict(id=bid, project_id=pid, name=f"{community}{block}栋"))
                    for f in sorted(ctx.rng.sample(range(2, 30), 4)):
                        fid = ctx.next_id("floor")
                        floors.append(dict(id=fid, building_id=bid, number=f))
                        for r in range(1, ctx.rng.randint(2, 4) + 1):
                            rooms.append(_room_row(ctx, pid, bid, fid, f"{b + 1}-{block}-{f}{r:02d}", kind, f,
                                                   city))
    ctx.bulk(Project, projects, "项目")
    ctx.bulk(Building, buildings, "楼栋")
    ctx.bulk(Floor, floors, "楼层")
    ctx.bulk(UnitType, unit_types, "户型")
    for i in range(0, len(rooms), 5000):
        ctx.bulk(Room, rooms[i:i + 5000], "房间")
    ctx.ids["project"] = [p["id"] for p in projects]
    ctx.ids["projects_by_company"] = by_company  # type: ignore[assignment]


def seed_fees(ctx: DemoContext) -> None:
    items, standards = [], []
    for pid in ctx.ids["project"]:
        for name, kind, prices in FEE_ITEMS:
            fid = ctx.next_id("fee_item")
            items.append(dict(id=fid, project_id=pid, name=name, kind=kind, description=""))
            for sname, price, unit in prices:
                standards.append(dict(id=ctx.next_id("pricing"), fee_item_id=fid, project_id=pid, name=sname,
                                      unit_price=Decimal(price), unit=unit, late_fee_rate=Decimal("0.05")))
    ctx.bulk(FeeItem, items, "费项")
    ctx.bulk(PricingStandard, standards, "计费标准")


def seed_import_batch(ctx: DemoContext) -> None:
    """Yesterday's room import of the first project's last building: listed, no longer cancellable."""
    pid = ctx.ids["project"][0]
    s = ctx.session
    bid = s.execute(sa.select(sa.func.max(Building.id)).where(Building.project_id == pid)).scalar_one()
    n = s.execute(sa.select(sa.func.count()).select_from(Room).where(Room.building_id == bid)).scalar_one()
    from datetime import timedelta
    when = utcnow() - timedelta(days=1)
    ctx.bulk(ImportBatch, [dict(id=1, title=f"房间导入 {when:%Y-%m-%d} 房间导入模板.xlsx", resource="rooms",
                                scene="房间导入", filename="房间导入模板.xlsx", user_id=None, username="manager",
                                org_unit_id=ctx.ids["company"][0], total=n, state="imported",
                                created_at=when, cancelled_by="")], "导入批次")
    s.execute(sa.update(Room).where(Room.building_id == bid).values(import_batch_id=1))


def seed_users(ctx: DemoContext) -> None:
    pw = hash_password(DEMO_PASSWORD)  # one hash for all demo logins: argon2 is slow by design
    company0 = ctx.ids["company"][0]
    p0 = ctx.ids["projects_by_company"][company0]  # type: ignore[index]
    places = {
        Role.SUPER_ADMIN: ctx.ids["hq"][0], Role.SYSTEM_ADMIN: ctx.ids["branch"][0],
    }
    users, assignments = [], []
    for login, name, role in DEMO_LOGINS:
        uid = ctx.next_id("user")
        users.append(dict(id=uid, username=login, display_name=name, role=role, phone=f"1380000{uid:04d}",
                          org_unit_id=places.get(role, company0), data_scope=DataScope.SUBTREE,
                          password_hash=pw, is_active=True, failed_logins=0))
        if role == Role.MULTI_STORE_MANAGER:
            assignments += [dict(user_id=uid, project_id=pid) for pid in p0]
        elif role in (Role.STORE_MANAGER, Role.STORE_ASSISTANT):
            assignments.append(dict(user_id=uid, project_id=p0[0]))
    # Staff of the other units, so lists and scopes have something to tell apart.
    for bidx, branch_id in enumerate(ctx.ids["branch"][1:], start=1):
        uid = ctx.next_id("user")
        users.append(dict(id=uid, username=f"sysadmin{bidx + 1}", display_name=f"系统管理员{bidx + 1}",
                          role=Role.SYSTEM_ADMIN, phone=f"1390000{uid:04d}", org_unit_id=branch_id,
                          data_scope=DataScope.SUBTREE, password_hash=pw, is_active=True, failed_logins=0))
    surnames = "张王李赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦许何吕施"
    given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平"]
    for cidx, company_id in enumerate(ctx.ids["company"][1:], start=2):
        projects = ctx.ids["projects_by_company"][company_id]  # type: ignore[index]
        for role in (Role.PRINCIPAL, Role.STORE_MANAGER, Role.FINANCE):
            uid = ctx.next_id("user")
            users.append(dict(id=uid, username=f"{role.value.split('_')[0]}{cidx}",
                              display_name=ctx.rng.choice(surnames) + ctx.rng.choice(given),
                              role=role, phone=f"1370000{uid:04d}", org_unit_id=company_id,
                              data_scope=DataScope.SUBTREE, password_hash=pw, is_active=True,
                              failed_logins=0))
            if role == Role.STORE_MANAGER:
                assignments.append(dict(user_id=uid, project_id=projects[0]))
    ctx.bulk(User, users, "员工")
    ctx.bulk(UserProject, assignments, "项目分配")


CITY_PARAMS = [("late_fee_grace_days", "3", "滞纳金宽限天数"), ("rent_guide_price", "85", "租金指导价（元/㎡·月）"),
               ("deposit_months_max", "1", "押金上限（月租金倍数）")]
ENTERPRISE_PARAMS = [("billing_mode", "对日", "默认账单模式：对日 / 月初"), ("withhold_days", "5", "代扣提前天数"),
                     ("contract_prefix", "HT", "合同编号前缀")]


def seed_params(ctx: DemoContext) -> None:
    from models import CityParam, EnterpriseParam
    ctx.bulk(CityParam, [dict(city=city, key=k, value=v, remark=r, version=1)
                         for _, city, _ in BRANCHES for k, v, r in CITY_PARAMS], "城市参数")
    ctx.bulk(EnterpriseParam, [dict(company_id=cid, key=k, value=v, remark=r, version=1)
                               for cid in ctx.ids["company"] for k, v, r in ENTERPRISE_PARAMS], "企业参数")


STEPS: list[Callable[[DemoContext], None]] = [seed_org, seed_housing, seed_fees, seed_import_batch, seed_users,
                                              seed_params]


def generate(scale: int = 1, seed: int = 20261122) -> dict[str, int]:
    if scale < 1:
        raise ValueError("scale 至少为 1")
    with db.session_scope() as s:
        ctx = DemoContext(session=s, rng=random.Random(seed), scale=scale)
        for step in STEPS:
            step(ctx)
    return ctx.counts
