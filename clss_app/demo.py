"""Deterministic demo data: the same seed and scale give the same database.

``generate(scale)`` runs each step in ``STEPS`` in order with one shared
context (the random generator, the scale and the ids made so far). Later
issues extend the demo by appending steps (contracts, bills, marketing,
index series); a step inserts in bulk so that scale 70 (about 100k rooms)
stays a matter of seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from clss_app import db
from clss_app.core import clock
from clss_app.core.privacy import check_digit
from clss_app.core.rows import table_of
from clss_app.demo_chain import seed_chain
from clss_app.demo_consign import seed_consign
from clss_app.demo_daily_reports import seed_daily_reports
from clss_app.demo_filing_loans import seed_filing_and_loans
from clss_app.demo_history import seed_history
from clss_app.demo_meters import seed_meters
from clss_app.demo_outbox import seed_outbox
from clss_app.demo_payments import seed_deposits, seed_pay_orders
from clss_app.demo_repairs import seed_repairs
from clss_app.demo_signing import seed_signing
from clss_app.demo_tenant_lease import seed_tenant_lease
from clss_app.demo_user_import import seed_user_imports
from clss_app.demo_withholding import seed_withholding
from clss_app.services.auth import hash_password
from models import (
    Building,
    DataScope,
    FeeItem,
    FeeKind,
    Floor,
    ImportBatch,
    MarketIndex,
    OrgUnit,
    PriceUnit,
    PricingStandard,
    Project,
    ProjectKind,
    PublishState,
    RentMode,
    ReservationState,
    Role,
    Room,
    RoomStatus,
    UnitKind,
    UnitType,
    User,
    UserProject,
    utcnow,
)
from models.imports import batch_title

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
COMMUNITIES = [
    "金地格林小镇",
    "万科城市花园",
    "保利西山林语",
    "华润橡树湾",
    "龙湖春江郦城",
    "中海国际社区",
    "招商雍景湾",
    "绿地海珀",
]
# Mobile prefixes in use (China Mobile, Unicom, Telecom) and the region codes of tenants' home towns.
MOBILE_PREFIXES = [
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    *(f"18{d}" for d in range(10)),
    *("166", "173", "176", "177", "191", "199"),
]
REGION_CODES = {  # 行政区划代码
    "北京": ("110105", "110108"),
    "上海": ("310115", "310104"),
    "深圳": ("440305", "440304"),
    "其他": ("320102", "330106", "420106", "510107", "430102", "370102", "410105", "610113", "350203", "340104"),
}
ORIENTATIONS = ["南", "北", "东", "西", "东南", "西南"]
STATUS_WEIGHTS = [
    (RoomStatus.OCCUPIED, 68),
    (RoomStatus.VACANT, 17),
    (RoomStatus.LOCKED, 5),
    (RoomStatus.RESERVED, 5),
    (RoomStatus.SIGNED, 5),
]


@dataclass
class DemoContext:
    session: Session
    rng: random.Random
    scale: int
    ids: dict[str, list[int]] = field(default_factory=dict)
    projects_by_company: dict[int, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)
    # People's numbers and times come from a generator of their own, so adding them changed none of
    # the facts the main generator drew (rooms, rents, names).
    people: random.Random = field(default_factory=lambda: random.Random(0))
    _phones: set[str] = field(default_factory=set)

    def phone(self) -> str:
        """A mobile number with a real prefix, never given twice."""
        while True:
            number = self.people.choice(MOBILE_PREFIXES) + f"{self.people.randint(0, 99_999_999):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def id_number(self) -> str:
        """A valid 18-digit 身份证号: a real region code, a birth date of 1972-2004, a sequence, its check digit."""
        born = date(1972, 1, 1) + timedelta(days=self.people.randint(0, 33 * 365))
        first17 = f"{self.people.choice(sum(REGION_CODES.values(), ()))}{born:%Y%m%d}{self.people.randint(1, 999):03d}"
        return first17 + check_digit(first17)

    def person(self) -> str:
        return self.people.choice(SURNAMES) + self.people.choice(GIVEN) + self.people.choice(["", *GIVEN])

    def at(self, day: date, first_hour: int = 9, last_hour: int = 18) -> datetime:
        """A working-hours moment of ``day`` (Shanghai), never later than now."""
        moment = datetime.combine(
            day, time(self.people.randint(first_hour, last_hour - 1), self.people.randint(0, 59)), tzinfo=clock.SHANGHAI
        )
        return min(moment, utcnow())

    def next_id(self, table: str) -> int:
        self._next[table] = self._next.get(table, 0) + 1
        return self._next[table]

    def bulk(self, model, rows: list[dict], label: str) -> None:
        if rows:
            self.session.execute(sa.insert(model), rows)
            if "id" in rows[0]:  # ids given by hand leave PostgreSQL's sequence behind
                db.sync_sequences(self.session, [model.__tablename__])
        self.counts[label] = self.counts.get(label, 0) + len(rows)


def staff_id(ctx: DemoContext, login: str) -> int:
    """The id of a seeded login, for the columns that name a person (经办人, 申请人, ...)."""
    key = f"user:{login}"
    if key not in ctx.ids:
        ctx.ids[key] = [ctx.session.execute(sa.select(User.id).where(User.username == login)).scalar_one()]
    return ctx.ids[key][0]


def day_at(s: Session, day: Any, hour_utc: int) -> Any:
    """SQL: the moment ``hour_utc`` o'clock (UTC) of a date column, for INSERT … SELECT and UPDATE in bulk."""
    if s.get_bind().dialect.name == "sqlite":
        return sa.func.datetime(day, f"+{hour_utc} hours")
    return sa.cast(day, sa.DateTime) + sa.literal_column(f"interval '{hour_utc} hours'")


def seed_org(ctx: DemoContext) -> None:
    hq = ctx.next_id("org")
    units: list[dict[str, Any]] = [dict(id=hq, name="总行", kind=UnitKind.HQ, parent_id=None, city="")]
    branch_ids = []
    for name, city, _ in BRANCHES:
        bid = ctx.next_id("org")
        branch_ids.append(bid)
        units.append(dict(id=bid, name=name, kind=UnitKind.BRANCH, parent_id=hq, city=city))
    company_ids = []
    for bidx, name, white, operating in COMPANIES:
        cid = ctx.next_id("org")
        company_ids.append(cid)
        units.append(
            dict(
                id=cid,
                name=name,
                kind=UnitKind.COMPANY,
                parent_id=branch_ids[bidx],
                city=BRANCHES[bidx][1],
                is_whitelist=white,
                is_operating=operating,
            )
        )
    for u in units:
        u.setdefault("is_whitelist", False)
        u.setdefault("is_operating", False)
    ctx.bulk(OrgUnit, units, "机构")
    ctx.ids["hq"] = [hq]
    ctx.ids["branch"] = branch_ids
    ctx.ids["company"] = company_ids


CITY_CENTRES = {
    "北京": (Decimal("116.40"), Decimal("39.90")),
    "上海": (Decimal("121.47"), Decimal("31.23")),
    "深圳": (Decimal("114.06"), Decimal("22.54")),
}
UNIT_TYPES = [
    ("整租一居", RentMode.WHOLE, 1, 1, 1, 38),
    ("整租两居", RentMode.WHOLE, 2, 1, 1, 68),
    ("合租主卧", RentMode.SHARED, 1, 0, 1, 22),
]
FEE_ITEMS = [  # name, kind, [(standard, unit price, unit)]
    ("物业费", FeeKind.PERIODIC, [("标准物业费", "2.50", PriceUnit.PER_SQM_MONTH)]),
    ("网费", FeeKind.PERIODIC, [("100M宽带", "50.00", PriceUnit.PER_MONTH)]),
    ("水费", FeeKind.METERED, [("民用水", "5.20", PriceUnit.PER_TON)]),
    ("电费", FeeKind.METERED, [("民用电", "0.65", PriceUnit.PER_KWH), ("商用电", "1.20", PriceUnit.PER_KWH)]),
    ("保洁费", FeeKind.ONE_OFF, [("退房保洁", "80.00", PriceUnit.FIXED)]),
    ("维修费", FeeKind.NON_CONTRACT, [("上门维修", "50.00", PriceUnit.FIXED)]),
]


def _room_row(ctx, pid, bid, fid, number, kind, floor_no=1, city="", unit_type=None):
    area = Decimal(ctx.rng.choice([18, 22, 25, 28, 32, 38, 45, 55, 68, 85, 95])) + Decimal(ctx.rng.randint(0, 99)) / 100
    base = 60 if kind == ProjectKind.CENTRALIZED else 75
    rent = (area * base).quantize(Decimal("100")) + Decimal(ctx.rng.choice([0, 50]))
    status = ctx.rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    lng, lat = CITY_CENTRES.get(city, (None, None))
    located = lng is not None and ctx.rng.random() < 0.6
    return dict(
        id=ctx.next_id("room"),
        project_id=pid,
        building_id=bid,
        floor_id=fid,
        floor_no=floor_no,
        number=number,
        area=area,
        rent=rent,
        deposit=rent,
        unit_type_id=unit_type,
        orientation=ctx.rng.choice(ORIENTATIONS),
        status=status,
        longitude=lng + Decimal(ctx.rng.randint(-20000, 20000)) / 100000 if located else None,
        latitude=lat + Decimal(ctx.rng.randint(-20000, 20000)) / 100000 if located else None,
    )


def seed_housing(ctx: DemoContext) -> None:
    projects: list[dict[str, Any]] = []
    buildings, floors, rooms, unit_types = [], [], [], []
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
            projects.append(
                dict(
                    id=pid,
                    name=name,
                    company_id=company_id,
                    city=city,
                    district=district,
                    address=f"{city}市{district}{ctx.rng.choice(['建设路', '人民路', '科技园路', '滨河大道'])}"
                    f"{ctx.rng.randint(1, 399)}号",
                    kind=kind,
                    publish_state=PublishState.PUBLISHED if published else PublishState.DRAFT,
                    visible=published,
                )
            )
            if kind == ProjectKind.CENTRALIZED:
                types = []
                for tname, mode, bed, hall, bath, area in UNIT_TYPES:
                    tid = ctx.next_id("unit_type")
                    types.append(tid)
                    unit_types.append(
                        dict(
                            id=tid,
                            project_id=pid,
                            name=tname,
                            rent_mode=mode,
                            bedrooms=bed,
                            halls=hall,
                            baths=bath,
                            area=Decimal(area),
                            orientation="南",
                            reference_rent=Decimal(area * 60),
                            photos="",
                        )
                    )
                for b in range(ctx.rng.randint(2, 3)):
                    bid = ctx.next_id("building")
                    buildings.append(dict(id=bid, project_id=pid, name=f"{b + 1}号楼"))
                    for f in range(1, ctx.rng.randint(6, 10) + 1):
                        fid = ctx.next_id("floor")
                        floors.append(dict(id=fid, building_id=bid, number=f))
                        for r in range(1, ctx.rng.randint(8, 12) + 1):
                            rooms.append(
                                _room_row(
                                    ctx, pid, bid, fid, f"{b + 1}-{f}{r:02d}", kind, f, city, ctx.rng.choice(types)
                                )
                            )
            else:
                for b, community in enumerate(ctx.rng.sample(COMMUNITIES, 4)):
                    bid = ctx.next_id("building")
                    block = ctx.rng.randint(1, 20)
                    buildings.append(dict(id=bid, project_id=pid, name=f"{community}{block}栋"))
                    for f in sorted(ctx.rng.sample(range(2, 30), 4)):
                        fid = ctx.next_id("floor")
                        floors.append(dict(id=fid, building_id=bid, number=f))
                        for r in range(1, ctx.rng.randint(2, 4) + 1):
                            rooms.append(_room_row(ctx, pid, bid, fid, f"{b + 1}-{block}-{f}{r:02d}", kind, f, city))
    ctx.bulk(Project, projects, "项目")
    ctx.bulk(Building, buildings, "楼栋")
    ctx.bulk(Floor, floors, "楼层")
    ctx.bulk(UnitType, unit_types, "户型")
    for i in range(0, len(rooms), 5000):
        ctx.bulk(Room, rooms[i : i + 5000], "房间")
    ctx.ids["project"] = [p["id"] for p in projects]
    ctx.projects_by_company = by_company


def seed_fees(ctx: DemoContext) -> None:
    items, standards = [], []
    for pid in ctx.ids["project"]:
        for name, kind, prices in FEE_ITEMS:
            fid = ctx.next_id("fee_item")
            items.append(dict(id=fid, project_id=pid, name=name, kind=kind, description=""))
            for sname, price, unit in prices:
                standards.append(
                    dict(
                        id=ctx.next_id("pricing"),
                        fee_item_id=fid,
                        project_id=pid,
                        name=sname,
                        unit_price=Decimal(price),
                        unit=unit,
                        late_fee_rate=Decimal("0.05"),
                    )
                )
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
    ctx.bulk(
        ImportBatch,
        [
            dict(
                id=1,
                title=batch_title("房间导入", when, "房间导入模板.xlsx"),
                resource="rooms",
                scene="房间导入",
                filename="房间导入模板.xlsx",
                user_id=None,
                username="manager",
                org_unit_id=ctx.ids["company"][0],
                total=n,
                state="imported",
                created_at=when,
            )
        ],
        "导入批次",
    )
    s.execute(sa.update(Room).where(Room.building_id == bid).values(import_batch_id=1))


def seed_users(ctx: DemoContext) -> None:
    pw = hash_password(DEMO_PASSWORD)  # one hash for all demo logins: argon2 is slow by design
    company0 = ctx.ids["company"][0]
    p0 = ctx.projects_by_company[company0]
    places = {
        Role.SUPER_ADMIN: ctx.ids["hq"][0],
        Role.SYSTEM_ADMIN: ctx.ids["branch"][0],
    }
    users, assignments = [], []
    for login, name, role in DEMO_LOGINS:
        uid = ctx.next_id("user")
        users.append(
            dict(
                id=uid,
                username=login,
                display_name=name,
                role=role,
                phone=ctx.phone(),
                org_unit_id=places.get(role, company0),
                data_scope=DataScope.SUBTREE,
                password_hash=pw,
                is_active=True,
            )
        )
        if role == Role.MULTI_STORE_MANAGER:
            assignments += [dict(user_id=uid, project_id=pid) for pid in p0]
        elif role in (Role.STORE_MANAGER, Role.STORE_ASSISTANT):
            assignments.append(dict(user_id=uid, project_id=p0[0]))
    # Staff of the other units, so lists and scopes have something to tell apart.
    for bidx, branch_id in enumerate(ctx.ids["branch"][1:], start=1):
        uid = ctx.next_id("user")
        users.append(
            dict(
                id=uid,
                username=f"sysadmin{bidx + 1}",
                display_name=f"系统管理员{bidx + 1}",
                role=Role.SYSTEM_ADMIN,
                phone=ctx.phone(),
                org_unit_id=branch_id,
                data_scope=DataScope.SUBTREE,
                password_hash=pw,
                is_active=True,
            )
        )
    surnames = "张王李赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦许何吕施"
    given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平"]
    for cidx, company_id in enumerate(ctx.ids["company"][1:], start=2):
        projects = ctx.projects_by_company[company_id]
        for role in (Role.PRINCIPAL, Role.STORE_MANAGER, Role.FINANCE):
            uid = ctx.next_id("user")
            users.append(
                dict(
                    id=uid,
                    username=f"{role.value.split('_')[0]}{cidx}",
                    display_name=ctx.rng.choice(surnames) + ctx.rng.choice(given),
                    role=role,
                    phone=ctx.phone(),
                    org_unit_id=company_id,
                    data_scope=DataScope.SUBTREE,
                    password_hash=pw,
                    is_active=True,
                )
            )
            if role == Role.STORE_MANAGER:
                assignments.append(dict(user_id=uid, project_id=projects[0]))
    ctx.bulk(User, users, "员工")
    ctx.bulk(UserProject, assignments, "项目分配")
    # The room import (seeded before its staff) by its 导入人
    ctx.session.execute(sa.update(ImportBatch).where(ImportBatch.id == 1).values(user_id=staff_id(ctx, "manager")))


CITY_PARAMS = [
    ("late_fee_grace_days", "3", "滞纳金宽限天数"),
    ("rent_guide_price", "85", "租金指导价（元/㎡·月）"),
    ("deposit_months_max", "1", "押金上限（月租金倍数）"),
]
ENTERPRISE_PARAMS = [
    ("billing_mode", "对日", "默认账单模式：对日 / 月初"),
    ("withhold_days", "5", "代扣提前天数"),
    ("contract_prefix", "HT", "合同编号前缀"),
]


def seed_params(ctx: DemoContext) -> None:
    from models import CityParam, EnterpriseParam

    ctx.bulk(
        CityParam,
        [dict(city=city, key=k, value=v, remark=r, version=1) for _, city, _ in BRANCHES for k, v, r in CITY_PARAMS],
        "城市参数",
    )
    ctx.bulk(
        EnterpriseParam,
        [
            dict(company_id=cid, key=k, value=v, remark=r, version=1)
            for cid in ctx.ids["company"]
            for k, v, r in ENTERPRISE_PARAMS
        ],
        "企业参数",
    )
    # 支付参数 of the first company: the sandbox's demo merchant (clss_app/sandbox/pay.py), its key sealed.
    from clss_app.core import sealed
    from clss_app.sandbox import pay as sandbox
    from models import PaySettings

    ctx.bulk(
        PaySettings,
        [
            dict(
                company_id=ctx.ids["company"][0],
                merchant_no=sandbox.DEMO_MERCHANT_NO,
                terminal_no=sandbox.DEMO_TERMINAL_NO,
                key_cipher=sealed.seal(sandbox.DEMO_KEY),
                key_fingerprint=sealed.fingerprint(sandbox.DEMO_KEY),
                key_set_at=utcnow(),
                expire_minutes=30,
                enabled=True,
                version=1,
                updated_at=utcnow(),
            )
        ],
        "支付参数",
    )


SURNAMES = "张王李赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦许何吕施"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "婷", "浩"]


def seed_leasing(ctx: DemoContext) -> None:
    """Tenants, appointments, reservations and contracts matching each room's status, with their bills.

    Occupied rooms get an active contract (a few expiring soon, some in arrears), 待入住 rooms a signed
    one (half with the first payment made), reserved rooms a reservation; vacant rooms a few past
    contracts that were checked out (one refund due, one bad debt awaiting approval) and pending online
    signings. Bills come from the billing engine itself.
    """
    from datetime import timedelta

    from clss_app.services import bills
    from clss_app.services.billing import add_months
    from models import (
        Appointment,
        AppointmentState,
        ApprovalState,
        BadDebt,
        Bill,
        BillKind,
        BillMode,
        BillState,
        Contract,
        ContractSource,
        ContractState,
        PayCycle,
        Payment,
        PaymentMethod,
        Reservation,
        Tenant,
    )

    s, rng, today = ctx.session, ctx.rng, clock.today()
    company_of = {pid: cid for cid, pids in ctx.projects_by_company.items() for pid in pids}
    rooms = s.execute(sa.select(Room.id, Room.project_id, Room.status, Room.rent, Room.deposit).order_by(Room.id)).all()
    tenants, contracts, reservations, appointments = [], [], [], []
    online = 0

    def tenant(pid):
        tid = ctx.next_id("tenant")
        tenants.append(
            dict(
                id=tid,
                company_id=company_of[pid],
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
                phone=ctx.phone(),
                id_number=ctx.id_number(),
            )
        )
        return tid

    def contract(room, state, start, months, **kw):
        cid = ctx.next_id("contract")
        cycle = rng.choices([PayCycle.MONTHLY, PayCycle.QUARTERLY, PayCycle.HALF_YEARLY], [80, 15, 5])[0]
        row = dict(
            id=cid,
            number=f"HT{start:%Y%m%d}{cid:06d}",
            project_id=room.project_id,
            room_id=room.id,
            tenant_id=tenant(room.project_id),
            start_date=start,
            end_date=add_months(start, months) - timedelta(days=1),
            monthly_rent=room.rent,
            deposit=room.deposit,
            cycle=cycle,
            signed_on=min(start, today),
            created_at=ctx.at(min(start, today)),  # 录入时间: when it was signed, not when the demo ran
            bill_mode=BillMode.SAME_DAY if rng.random() < 0.7 else BillMode.MONTH_START,
            co_tenants=rng.choice(SURNAMES) + rng.choice(GIVEN) if rng.random() < 0.2 else "",
            **{"source": ContractSource.BACK_OFFICE, **kw},
            state=state,
            created_by_id=staff_id(ctx, "manager"),
        )
        contracts.append(row)
        return row

    for room in rooms:
        if room.status == RoomStatus.OCCUPIED:
            start = add_months(today, -rng.randint(1, 11)) - timedelta(days=rng.randint(0, 27))
            contract(
                room,
                ContractState.ACTIVE,
                start,
                12,
                checked_in_on=start,
                power_in=Decimal(rng.randint(100, 9000)),
                water_in=Decimal(rng.randint(10, 900)),
            )
        elif room.status == RoomStatus.SIGNED:
            contract(room, ContractState.SIGNED, today + timedelta(days=rng.randint(0, 14)), 12)
        elif room.status == RoomStatus.RESERVED:
            reservations.append(
                dict(
                    id=ctx.next_id("reservation"),
                    project_id=room.project_id,
                    room_id=room.id,
                    tenant_id=tenant(room.project_id),
                    deposit=Decimal(rng.choice([500, 1000, 2000])),
                    hold_until=today + timedelta(days=rng.randint(2, 10)),
                    state=ReservationState.ACTIVE,
                )
            )
        elif room.status == RoomStatus.VACANT and room.project_id == ctx.ids["project"][0] and online < 2:
            online += 1  # signed in the APP, waiting for the store's review: no bills yet
            contract(room, ContractState.PENDING_REVIEW, today + timedelta(days=3), 12, source=ContractSource.ONLINE)
        elif room.status == RoomStatus.VACANT and rng.random() < 0.15:
            start = add_months(today, -rng.randint(14, 20))
            contract(
                room,
                ContractState.CHECKED_OUT,
                start,
                12,
                checked_in_on=start,
                checked_out_on=add_months(start, 12) - timedelta(days=1),
                settlement=Decimal("0.00"),
            )
    for pid in ctx.ids["project"]:
        for k in range(3):
            appointments.append(
                dict(
                    project_id=pid,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"159{rng.randint(0, 99999999):08d}",
                    visit_at=utcnow() + timedelta(days=rng.randint(-5, 7), hours=rng.randint(0, 8)),
                    state=[AppointmentState.PENDING, AppointmentState.VISITED, AppointmentState.CANCELLED][k],
                    note="",
                )
            )
    tenants = master_leases(ctx, contracts, tenants)
    ctx.bulk(Tenant, tenants, "租客")
    ctx.bulk(Appointment, appointments, "预约看房")
    ctx.bulk(Reservation, reservations, "预定")
    for i in range(0, len(contracts), 5000):
        ctx.bulk(Contract, contracts[i : i + 5000], "合同")
    written = bills.generate(s, [Contract(**c) for c in contracts if c["state"] != ContractState.PENDING_REVIEW])
    ctx.counts["账单"] = written
    by_state: dict[str, list[int]] = {}
    for c in contracts:
        by_state.setdefault(c["state"], []).append(c["id"])
    active, signed, done = (
        by_state.get(st, []) for st in (ContractState.ACTIVE, ContractState.SIGNED, ContractState.CHECKED_OUT)
    )
    # Paid on its due day (a first bill due in the days to come: paid today), confirmed that morning.
    paid_day = sa.case((Bill.due_date > today, sa.literal(today)), else_=Bill.due_date)
    paid = dict(state=BillState.PAID, paid=Bill.amount, confirmed_at=day_at(s, paid_day, 1))
    # Everything due so far is paid, except the latest due bill of about one contract in twelve (欠费).
    s.execute(sa.update(Bill).where(Bill.contract_id.in_(active + done), Bill.due_date <= today).values(**paid))
    s.execute(
        sa.update(Bill)
        .where(Bill.contract_id.in_(done), Bill.kind.in_([BillKind.RENT, BillKind.PERIODIC]))
        .values(**paid)
    )
    s.execute(
        sa.update(Bill).where(Bill.contract_id.in_(signed[::2]), Bill.state == BillState.CONFIRMED).values(**paid)
    )
    late = [cid for cid in active if rng.random() < 1 / 12]
    for cid in late:
        bid = s.execute(
            sa.select(sa.func.max(Bill.id)).where(
                Bill.contract_id == cid, Bill.fee_key == "rent", Bill.due_date <= today
            )
        ).scalar_one()
        s.execute(sa.update(Bill).where(Bill.id == bid).values(state=BillState.CONFIRMED, paid=0))
    # Refunds of the deposits of checked-out contracts: one still due, the rest refunded.
    settle = []
    first_project = [
        c for c in contracts if c["state"] == ContractState.CHECKED_OUT and c["project_id"] == ctx.ids["project"][0]
    ]
    for k, c in enumerate(first_project[:2]):
        number = s.execute(sa.select(Room.number).where(Room.id == c["room_id"])).scalar_one()
        due = k == 1  # the second one left rent unpaid: an amount due, up for bad debt
        settle.append(
            dict(
                contract_id=c["id"],
                project_id=c["project_id"],
                room_id=c["room_id"],
                tenant_id=c["tenant_id"],
                kind=BillKind.SETTLEMENT,
                fee_key="settlement",
                fee_name="退房结算",
                title=f"{number} 退房结算",
                period_no=1,
                period_start=c["checked_out_on"],
                period_end=c["checked_out_on"],
                due_date=c["checked_out_on"],
                amount=Decimal("1350.00") if due else c["deposit"],
                paid=Decimal("0.00"),
                state=BillState.CONFIRMED if due else BillState.REFUND_DUE,
                remark="欠租 ¥1,350.00" if due else f"退押金 ¥{c['deposit']:,.2f}",
                confirmed_at=ctx.at(c["checked_out_on"]),
            )
        )
    ctx.bulk(Bill, settle, "账单")
    s.execute(
        sa.insert(Payment).from_select(
            ["bill_id", "project_id", "amount", "method", "receipt_no", "paid_on", "recorded_by_id", "created_at"],
            sa.select(
                Bill.id,
                Bill.project_id,
                Bill.amount,
                sa.literal(PaymentMethod.TRANSFER.value),
                sa.literal("演示收款"),
                paid_day,
                sa.literal(staff_id(ctx, "finance")),
                day_at(s, paid_day, 2),
            ).where(Bill.state == BillState.PAID),
        )
    )
    if len(settle) > 1:
        debt = s.execute(
            sa.select(Bill.id, Bill.project_id, Bill.amount).where(
                Bill.contract_id == settle[1]["contract_id"], Bill.kind == BillKind.SETTLEMENT
            )
        ).one()
        ctx.bulk(
            BadDebt,
            [
                dict(
                    bill_id=debt.id,
                    project_id=debt.project_id,
                    amount=debt.amount,
                    reason="租客失联，欠租无法追回",
                    requested_by_id=staff_id(ctx, "manager"),
                    state=ApprovalState.LEVEL1,
                )
            ],
            "坏账申请",
        )


LEASING_COMPANIES = [
    ("华信网络科技有限公司", "周经理"),
    ("恒信咨询有限公司", "林主管"),
    ("蓝海物流有限公司", "郑经理"),
    ("云帆软件有限公司", "何主管"),
    ("启明教育科技有限公司", "许老师"),
]


def master_leases(ctx: DemoContext, contracts: list[dict], tenants: list[dict]) -> list[dict]:
    """企业包租: in each company's first project, a firm rents its last three occupied rooms for its staff
    (not yesterday's imported ones).

    Those contracts become the agreement's (one start, the firm as tenant of record, its staff as
    co-tenants), before their bills are made, so the bills say who pays what. Returns the tenants left.
    """
    from models import ContractSource, ContractState, MasterLease, MasterLeaseRoom

    leases, links, dropped = [], [], set()
    imported = set(ctx.session.execute(sa.select(Room.id).where(Room.import_batch_id.is_not(None))).scalars())
    for k, company_id in enumerate(ctx.ids["company"]):
        first = ctx.projects_by_company[company_id][0]
        mine = [
            c
            for c in contracts
            if c["project_id"] == first and c["state"] == ContractState.ACTIVE and c["room_id"] not in imported
        ][-3:]
        if len(mine) < 2:
            continue
        name, contact = LEASING_COMPANIES[k % len(LEASING_COMPANIES)]
        lid, head = ctx.next_id("master_lease"), mine[0]
        start, end, signed = head["start_date"], head["end_date"], head["signed_on"]
        created = ctx.at(signed)
        phone = ctx.phone()
        firm = next(t for t in tenants if t["id"] == head["tenant_id"])
        firm.update(name=name, phone=phone, id_number="")
        leases.append(
            dict(
                id=lid,
                number=f"BZ{created:%Y%m%d}{lid:06d}",
                project_id=first,
                company_name=name,
                contact_name=contact,
                contact_phone=phone,
                start_date=start,
                end_date=end,
                cycle=head["cycle"],
                bill_mode=head["bill_mode"],
                company_pays_rent=True,
                company_pays_deposit=True,
                company_pays_fees=k % 2 == 0,
                company_pays_utilities=False,
                created_by_id=staff_id(ctx, "manager"),
                created_at=created,
            )
        )
        for c in mine:
            dropped.add(c["tenant_id"])
            links.append(dict(master_lease_id=lid, room_id=c["room_id"]))
            c.update(
                number=f"HT{start:%Y%m%d}{c['id']:06d}",
                start_date=start,
                end_date=end,
                signed_on=signed,
                created_at=created,
                checked_in_on=start,
                cycle=head["cycle"],
                bill_mode=head["bill_mode"],
                tenant_id=firm["id"],
                co_tenants=f"{name}员工",
                source=ContractSource.MASTER_LEASE,
                master_lease_id=lid,
            )
        dropped.discard(firm["id"])
    ctx.bulk(MasterLease, leases, "企业包租")
    ctx.bulk(MasterLeaseRoom, links, "包租房间")
    return [t for t in tenants if t["id"] not in dropped]


def seed_lease_history(ctx: DemoContext) -> None:
    """Earlier leases, so every contract and bill state shows up: renewals whose first term has 已到期,
    sublets whose old lease is 已关闭, a rejected online signing (已作废), partly paid and revoked bills,
    refunds at each step and an approved bad debt."""
    from datetime import timedelta

    from clss_app.services import bills
    from clss_app.services.billing import add_months
    from models import (
        ApprovalState,
        BadDebt,
        Bill,
        BillKind,
        BillState,
        Contract,
        ContractSource,
        ContractState,
        Payment,
        PaymentMethod,
        Tenant,
    )

    s, rng = ctx.session, ctx.rng
    first = ctx.ids["project"][0]
    # Plain rows and table-level updates throughout: at scale 70 the ORM would keep 60k contracts in its
    # identity map and check every one of them against each UPDATE.
    C, B = table_of(Contract), table_of(Bill)
    active = s.execute(sa.select(C).where(C.c.state == ContractState.ACTIVE).order_by(C.c.id)).all()
    earlier, links = [], []
    company_of = dict(s.execute(sa.select(Tenant.id, Tenant.company_id)).all())
    for k, c in enumerate(active):
        if k % 10 and k % 25:
            continue
        sublet = k % 25 == 0 and k % 10 != 0
        tenant_id = c.tenant_id
        if sublet:  # the room's previous tenant
            tenant_id = ctx.next_id("tenant")
            s.execute(
                sa.insert(Tenant),
                [
                    dict(
                        id=tenant_id,
                        company_id=company_of[c.tenant_id],
                        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                        phone=ctx.phone(),
                        id_number=ctx.id_number(),
                    )
                ],
            )
        start = add_months(c.start_date, -12)
        cid = ctx.next_id("contract")
        earlier.append(
            dict(
                id=cid,
                number=f"HT{start:%Y%m%d}{cid:06d}",
                project_id=c.project_id,
                room_id=c.room_id,
                tenant_id=tenant_id,
                start_date=start,
                end_date=c.start_date - timedelta(days=1),
                monthly_rent=c.monthly_rent,
                deposit=c.deposit,  # one month's rent, as the room's (and the renewal kept it)
                cycle=c.cycle,
                bill_mode=c.bill_mode,
                signed_on=start,
                created_at=ctx.at(start),
                source=ContractSource.BACK_OFFICE,
                created_by_id=staff_id(ctx, "manager"),
                state=ContractState.CLOSED if sublet else ContractState.EXPIRED,
                checked_in_on=start,
                checked_out_on=c.start_date - timedelta(days=1) if sublet else None,
            )
        )
        links.append((c.id, cid, ContractSource.SUBLET if sublet else ContractSource.RENEWAL))
    ctx.bulk(Contract, earlier, "合同")
    if links:
        s.execute(
            sa.update(C)
            .where(C.c.id == sa.bindparam("cid"))
            .values(previous_id=sa.bindparam("prev"), source=sa.bindparam("src")),
            [dict(cid=cid, prev=prev, src=source.value) for cid, prev, source in links],
        )
    ctx.counts["账单"] += bills.generate(s, [Contract(**c) for c in earlier])
    s.execute(
        sa.update(B)
        .where(
            B.c.contract_id.in_(sa.select(C.c.id).where(C.c.state.in_([ContractState.EXPIRED, ContractState.CLOSED])))
        )
        .values(state=BillState.PAID, paid=B.c.amount, confirmed_at=day_at(s, B.c.due_date, 1))
    )
    # A rejected online signing in another company's project.
    room = s.scalars(sa.select(Room).where(Room.project_id != first, Room.status == RoomStatus.VACANT)).first()
    if room is not None:
        vid = ctx.next_id("contract")
        tid = ctx.next_id("tenant")
        s.execute(
            sa.insert(Tenant),
            [
                dict(
                    id=tid,
                    company_id=s.get_one(Project, room.project_id).company_id,
                    name="吴晓",
                    phone=ctx.phone(),
                    id_number=ctx.id_number(),
                )
            ],
        )
        ctx.bulk(
            Contract,
            [
                dict(
                    id=vid,
                    number=f"HT{utcnow():%Y%m%d}{vid:06d}",
                    project_id=room.project_id,
                    room_id=room.id,
                    tenant_id=tid,
                    start_date=utcnow().date(),
                    end_date=add_months(utcnow().date(), 12) - timedelta(days=1),
                    monthly_rent=room.rent,
                    deposit=room.deposit,
                    cycle="1",
                    bill_mode="same_day",
                    signed_on=utcnow().date(),
                    source=ContractSource.ONLINE,
                    state=ContractState.VOID,
                )
            ],
            "合同",
        )
    # Bills: some overdue ones half paid; each checked-out lease elsewhere gave up its last month (revoked).
    late = (
        s.execute(sa.select(B.c.id).where(B.c.state == BillState.CONFIRMED, B.c.kind == BillKind.RENT).order_by(B.c.id))
        .scalars()
        .all()
    )
    s.execute(
        sa.update(B)
        .where(B.c.id.in_(late[::4]))
        .values(state=BillState.PARTLY_PAID, paid=sa.func.round(B.c.amount / 2, 2))
    )
    done = s.execute(
        sa.select(C).where(C.c.state == ContractState.CHECKED_OUT, C.c.project_id != first).order_by(C.c.id)
    ).all()
    last_rent = (
        sa.select(sa.func.max(B.c.id))
        .where(B.c.contract_id.in_([c.id for c in done]), B.c.fee_key == "rent")
        .group_by(B.c.contract_id)
    )
    s.execute(sa.update(B).where(B.c.id.in_(last_rent)).values(state=BillState.REVOKED, paid=0))
    # Settlements elsewhere at every step of a refund, and one bad debt approved at both levels.
    steps = [BillState.REFUNDED, BillState.REFUNDED, BillState.OFFLINE_REFUND, BillState.BAD_DEBT]
    for c, state in zip(done, steps):
        number = s.execute(sa.select(Room.number).where(Room.id == c.room_id)).scalar_one()
        bid = s.execute(
            sa.insert(Bill).returning(Bill.id),
            [
                dict(
                    contract_id=c.id,
                    project_id=c.project_id,
                    room_id=c.room_id,
                    tenant_id=c.tenant_id,
                    kind=BillKind.SETTLEMENT,
                    fee_key="settlement",
                    fee_name="退房结算",
                    title=f"{number} 退房结算",
                    period_no=1,
                    period_start=c.checked_out_on,
                    period_end=c.checked_out_on,
                    due_date=c.checked_out_on,
                    amount=c.monthly_rent,
                    paid=Decimal("0.00"),
                    late_fee=Decimal("0.00"),
                    state=state,
                    payer="tenant",
                    late_fee_waived=False,
                    remark=f"退押金 ¥{c.monthly_rent:,.2f}",
                    confirmed_at=ctx.at(c.checked_out_on),
                    version=1,
                )
            ],
        ).scalar_one()
        if state == BillState.REFUNDED:
            s.execute(
                sa.insert(Payment),
                [
                    dict(
                        bill_id=bid,
                        project_id=c.project_id,
                        amount=-c.monthly_rent,
                        method=PaymentMethod.TRANSFER,
                        receipt_no="退款",
                        paid_on=c.checked_out_on + timedelta(days=3),
                        recorded_by_id=staff_id(ctx, "finance2"),
                        created_at=ctx.at(c.checked_out_on + timedelta(days=3)),
                    )
                ],
            )
        if state == BillState.BAD_DEBT:
            ctx.bulk(
                BadDebt,
                [
                    dict(
                        bill_id=bid,
                        project_id=c.project_id,
                        amount=c.monthly_rent,
                        reason="租客未领取退款，转营业外收入",
                        requested_by_id=staff_id(ctx, "store2"),
                        level1_by_id=staff_id(ctx, "principal2"),
                        level2_by_id=staff_id(ctx, "finance2"),
                        state=ApprovalState.APPROVED,
                        comment="同意",
                    )
                ],
                "坏账申请",
            )
        ctx.counts["账单"] += 1


def seed_tenant_marketing(ctx: DemoContext) -> None:
    from clss_app.demo_marketing import seed_tenant_marketing as seed

    seed(ctx)


def seed_marketing(ctx: DemoContext) -> None:
    from clss_app.demo_marketing import seed_marketing as seed

    seed(ctx)


def seed_records(ctx: DemoContext) -> None:
    from clss_app.demo_records import seed_records as seed

    seed(ctx)


def seed_funnel_history(ctx: DemoContext) -> None:
    """The appointments and reservations behind the past year's signings, so the dashboard's funnel
    (预约看房 → 预定 → 签约) has the shape a store sees: about three viewings and one or two
    reservations for each new contract."""
    from datetime import datetime, time, timedelta

    from clss_app.services.analytics import NEW_SOURCES, SIGNED_STATES
    from models import Appointment, AppointmentState, Contract, Reservation

    s, rng, today = ctx.session, ctx.rng, clock.today()
    signings = s.execute(
        sa.select(Contract.project_id, Contract.room_id, Contract.tenant_id, Contract.signed_on)
        .where(
            Contract.signed_on >= today - timedelta(days=365),
            Contract.source.in_(NEW_SOURCES),
            Contract.state.in_(SIGNED_STATES),
        )
        .order_by(Contract.id)
    ).all()
    at = lambda day, hour: datetime.combine(day, time(hour), tzinfo=clock.SHANGHAI)  # noqa: E731
    appointments, reservations = [], []
    for pid, room, tenant, signed in signings:
        for k in range(rng.choice([2, 3, 3, 4])):
            day = signed - timedelta(days=rng.randint(3, 20))
            appointments.append(
                dict(
                    project_id=pid,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"158{rng.randint(0, 99999999):08d}",
                    visit_at=at(day + timedelta(days=1), 14),
                    room_id=room,
                    note="",
                    state=AppointmentState.CONVERTED
                    if k == 0
                    else rng.choice([AppointmentState.VISITED, AppointmentState.CANCELLED]),
                    created_at=at(day, 10),
                    version=1,
                )
            )
        states = [ReservationState.CONVERTED] if rng.random() < 0.8 else []
        if rng.random() < 0.5:  # someone else held the room first and let it go
            states.append(rng.choice([ReservationState.CANCELLED, ReservationState.EXPIRED]))
        for state in states:
            day = signed - timedelta(days=rng.randint(1, 6))
            reservations.append(
                dict(
                    project_id=pid,
                    room_id=room,
                    tenant_id=tenant,
                    deposit=Decimal(1000),
                    hold_until=day + timedelta(days=7),
                    state=state,
                    note="",
                    created_at=at(day, 11),
                    version=1,
                )
            )
    for i in range(0, len(appointments), 5000):
        ctx.bulk(Appointment, appointments[i : i + 5000], "预约看房")
    for i in range(0, len(reservations), 5000):
        ctx.bulk(Reservation, reservations[i : i + 5000], "预定")


def seed_market(ctx: DemoContext) -> None:
    """Index series from January 2023 to last month for five cities, labelled as demo data."""
    from datetime import date, timedelta

    from clss_app.services.market import demo_points

    today = clock.today()
    last = date(today.year, today.month, 1) - timedelta(days=1)
    ctx.bulk(MarketIndex, demo_points(date(2023, 1, 1), last, random.Random(ctx.rng.random())), "行情指数")


def seed_ledger(ctx: DemoContext) -> None:
    """The demo's bills were paid in bulk, then some changed (half paid, revoked, refunded): each bill's
    ledger is written again to add up to its paid amount, as the app keeps it (services/ledger.py)."""
    from models import Bill, BillState, Payment, PaymentMethod

    s, today = ctx.session, clock.today()
    lines = sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)).where(Payment.bill_id == Bill.id)
    s.execute(sa.update(Bill).where(Bill.state == BillState.REFUNDED).values(paid=lines.scalar_subquery()))
    totals = sa.select(Payment.bill_id, sa.func.sum(Payment.amount).label("total")).group_by(Payment.bill_id).subquery()
    wrong = (
        sa.select(Bill.id)
        .outerjoin(totals, totals.c.bill_id == Bill.id)
        .where(Bill.paid != sa.func.coalesce(totals.c.total, 0))
    )
    ids = s.execute(wrong).scalars().all()
    paid_day = sa.case((Bill.due_date > today, sa.literal(today)), else_=Bill.due_date)
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        s.execute(sa.delete(Payment).where(Payment.bill_id.in_(chunk)))
        s.execute(
            sa.insert(Payment).from_select(
                ["bill_id", "project_id", "amount", "method", "receipt_no", "paid_on", "recorded_by_id", "created_at"],
                sa.select(
                    Bill.id,
                    Bill.project_id,
                    Bill.paid,
                    sa.literal(PaymentMethod.TRANSFER.value),
                    sa.literal("演示收款"),
                    paid_day,
                    sa.literal(staff_id(ctx, "finance")),
                    day_at(s, paid_day, 2),
                ).where(Bill.id.in_(chunk), Bill.paid != 0),
            )
        )


STEPS: list[Callable[[DemoContext], None]] = [
    seed_org,
    seed_housing,
    seed_fees,
    seed_import_batch,
    seed_users,
    seed_params,
    seed_leasing,
    seed_lease_history,
    seed_records,
    seed_ledger,
    seed_pay_orders,
    seed_withholding,
    seed_consign,
    seed_funnel_history,
    seed_deposits,
    seed_market,
    seed_marketing,
    seed_user_imports,
    seed_chain,
    seed_history,  # the history of every row made above (demo_history.py)
    seed_filing_and_loans,  # after it: made through the services, with the history they write
    seed_signing,  # the nightly batch writes its own history (the room's status log, the audit)
    seed_repairs,  # 报修与工单 (demo_repairs.py)
    seed_meters,  # readings and 公摊 through the services (demo_meters.py)
    seed_daily_reports,  # after the ledger's seed, which rewrites the payments
    seed_outbox,  # what the sent 消息通知 reached; approvals waiting in their approvers' bells
    seed_tenant_marketing,  # tenants' coupons and helped bargains, through the services (issue 23)
    seed_tenant_lease,  # online contracts drafted for the tenant to confirm in the APP (issue 23 §3)
]


def generate(scale: int = 1, seed: int = 20261122) -> dict[str, int]:
    if scale < 1:
        raise ValueError("scale 至少为 1")
    with db.session_scope() as s:
        ctx = DemoContext(session=s, rng=random.Random(seed), scale=scale, people=random.Random(seed + 1))
        for step in STEPS:
            step(ctx)
            db.sync_sequences(s)
    return ctx.counts
