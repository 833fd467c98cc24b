"""Demo step for APP content, 营销工具 and 保险: what a branch and its stores have running on a normal day."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from clss_app.core import clock, media
from clss_app.core.clock import SHANGHAI
from clss_app.core.errors import Refused
from clss_app.core.rows import saved_id
from clss_app.demo import staff_id
from models import (
    Audience,
    Banner,
    BannerGroup,
    Bargain,
    BargainRecord,
    BargainState,
    Channel,
    Contract,
    ContractState,
    Coupon,
    CouponKind,
    CouponProject,
    Evaluation,
    Event,
    EventSignup,
    Feedback,
    FeedbackKind,
    FeedbackState,
    FlashClaim,
    FlashSale,
    InsuranceCover,
    InsuranceExtra,
    InsuranceKind,
    InsuranceProduct,
    LinkKind,
    Notification,
    NotificationState,
    OrgUnit,
    PlanMode,
    Policy,
    PolicyState,
    Project,
    ProjectInsurancePlan,
    PublishState,
    Room,
    RoomStatus,
    StoredFileOwner,
    Tenant,
    utcnow,
)

# Illustrations rendered once by scripts/render_demo_images.py and committed.
IMAGES = Path(__file__).resolve().parent / "demo_images"
COMMENTS = [
    "房间干净整洁，管家响应很快",
    "交通方便，楼下就是地铁",
    "隔音一般，其他都挺好",
    "维修上门及时，点赞",
    "社区活动丰富，住得开心",
    "性价比高，续租了",
]
PRODUCTS = [
    (
        "安心家财险",
        InsuranceKind.HOME,
        "中国平安财产保险",
        [("基础", 20000, 30), ("标准", 50000, 60), ("尊享", 100000, 110)],
    ),
    ("押金无忧险", InsuranceKind.DEPOSIT, "中国人民财产保险", [("一个月押金", 5000, 45), ("两个月押金", 10000, 85)]),
    ("租客责任险", InsuranceKind.TENANT_LIABILITY, "太平洋财产保险", [("基础", 100000, 40), ("标准", 300000, 90)]),
    ("房东责任险", InsuranceKind.LANDLORD_LIABILITY, "太平洋财产保险", [("标准", 500000, 150)]),
]


def image(name: str) -> str:
    """The stored media name of a committed illustration (stored once, by its content)."""
    return media.store((IMAGES / name).read_bytes(), ".png")


def seed_room_pictures(ctx) -> None:
    """Rooms get a cover and two photos (a bedroom and a living room), but the ground floors, being
    refurbished, are not photographed yet; a room of a published project that has its location and its
    pictures is 租客可见, as housing.visibility_missing allows."""
    s = ctx.session
    bedrooms = [image(f"bedroom-{k}.png") for k in range(1, 5)]
    livings = [image(f"living-{k}.png") for k in range(1, 5)]
    published = sa.select(Project.id).where(Project.publish_state == PublishState.PUBLISHED)
    for k in range(4):
        s.execute(
            sa.update(Room)
            .where(Room.id % 4 == k, Room.floor_no != 1)
            .values(
                cover=bedrooms[k],
                photos=f"{bedrooms[k]},{livings[(k + 1) % 4]}",
                visible=sa.and_(
                    Room.latitude.is_not(None), Room.longitude.is_not(None), Room.project_id.in_(published)
                ),
            )
        )
    # Each image is owned by the rooms showing it, as the room form's save would have recorded.
    cols = ["table_name", "row_id", "field_name", "ref", "resource", "username", "created_at"]
    for k in range(4):
        for column, ref in (("cover", bedrooms[k]), ("photos", bedrooms[k]), ("photos", livings[(k + 1) % 4])):
            owners = sa.select(
                sa.literal("room"),
                Room.id,
                sa.literal(column),
                sa.literal(ref),
                sa.literal("rooms"),
                sa.literal(""),
                sa.literal(utcnow()),
            ).where(Room.id % 4 == k, Room.floor_no != 1)
            s.execute(sa.insert(StoredFileOwner).from_select(cols, owners))


def seed_marketing(ctx) -> None:
    s, rng = ctx.session, ctx.rng
    now, today = utcnow(), clock.today()
    at = lambda d, h: datetime.combine(d, time(h), tzinfo=SHANGHAI)  # noqa: E731
    projects = s.execute(
        sa.select(Project.id, Project.name, Project.city, Project.company_id).order_by(Project.id)
    ).all()
    branches = s.execute(sa.select(OrgUnit.id, OrgUnit.city).where(OrgUnit.id.in_(ctx.ids["branch"]))).all()
    seed_room_pictures(ctx)
    wide = [image(f"banner-{k + 1}.png") for k in range(6)]
    cover = [image(name) for name in ("living-1.png", "bedroom-2.png", "living-3.png", "bedroom-4.png")]
    cover += [image("event-1.png"), image("event-2.png")]
    event_cover = {"周末观影会": cover[4], "租客烘焙沙龙": cover[5]}

    # Events first: banners may link to them.
    events, signups = [], []
    for k, pj in enumerate(projects):
        for j, (name, cap) in enumerate([("周末观影会", 30), ("租客烘焙沙龙", 5 if k == 0 else 12)]):
            day = today + timedelta(days=7 + 3 * j + k % 5)
            eid = ctx.next_id("event")
            full = j == 1 and k == 0  # project 1's salon is full: the demo shows a full event
            n = cap if full else rng.randint(0, cap // 2)
            events.append(
                dict(
                    id=eid,
                    project_id=pj.id,
                    name=f"{pj.name}{name}",
                    starts_at=at(day, 14),
                    ends_at=at(day, 17),
                    address=f"{pj.name}一层活动室",
                    capacity=cap,
                    signed_up=n,
                    hotline="010-88886666",
                    cover=event_cover[name],
                    intro="欢迎各位租客参加，现场有茶歇。",
                    created_at=now,
                    version=1,
                )
            )
            signups += [
                dict(
                    event_id=eid,
                    project_id=pj.id,
                    name=ctx.person(),
                    phone=ctx.phone(),
                    state="active",
                    created_at=now,
                    version=1,
                )
                for i in range(n)
            ]
    ctx.bulk(Event, events, "活动")
    ctx.bulk(EventSignup, signups, "活动报名")

    banners = []
    for bidx, (branch_id, city) in enumerate(branches):
        in_city = [p for p in projects if p.city == city]
        order = dict.fromkeys(BannerGroup, 0)

        def banner(group, title, image, link, order=order, branch_id=branch_id, city=city, **kw):
            order[group] += 1
            banners.append(
                dict(
                    branch_id=branch_id,
                    group=group,
                    title=title,
                    image=image,
                    city=city,
                    link_kind=link,
                    project_id=kw.get("project_id"),
                    event_id=kw.get("event_id"),
                    url=kw.get("url", ""),
                    sort_order=order[group],
                    online_from=kw.get("online_from", now - timedelta(days=30)),
                    online_to=kw.get("online_to", now + timedelta(days=180)),
                    enabled=True,
                    created_at=now,
                    version=1,
                )
            )

        banner(BannerGroup.HOME, f"{city}·安居季", wide[bidx], LinkKind.URL, url="https://example.com/anju")
        if in_city:
            banner(
                BannerGroup.HOME, f"{in_city[0].name}开业", wide[bidx + 1], LinkKind.PROJECT, project_id=in_city[0].id
            )
        banner(
            BannerGroup.HOME,
            "国庆特惠（已下线）",
            wide[bidx + 2],
            LinkKind.NONE,
            online_from=now - timedelta(days=60),
            online_to=now - timedelta(days=20),
        )
        city_events = [e for e in events if any(p.id == e["project_id"] for p in in_city)]
        for e in city_events[:2]:
            banner(BannerGroup.FEATURED, e["name"], e["cover"], LinkKind.EVENT, event_id=e["id"])
        for j, p in enumerate(in_city[:5]):  # five of six: room for one more before the limit
            banner(BannerGroup.RECOMMEND, p.name, cover[j % 4], LinkKind.PROJECT, project_id=p.id)
    ctx.bulk(Banner, banners, "Banner")
    # Each image is owned by the rows showing it, as their forms' saves would have recorded.
    shown = [
        ("event", "cover", "events", s.execute(sa.select(Event.id, Event.cover)).all()),
        ("banner", "image", "banners", s.execute(sa.select(Banner.id, Banner.image)).all()),
    ]
    ctx.bulk(
        StoredFileOwner,
        [
            dict(table_name=table, row_id=i, field_name=column, ref=ref, resource=key, username="", created_at=now)
            for table, column, key, rows in shown
            for i, ref in rows
            if ref
        ],
        "图片归属",
    )

    coupons, coupon_projects = [], []
    for cid in ctx.ids["company"]:
        mine = [p.id for p in projects if p.company_id == cid]
        for kind, name, extra in (
            (CouponKind.AMOUNT_OFF, "新签满3000减200", dict(amount=Decimal(200), threshold=Decimal(3000))),
            (CouponKind.PERCENT_OFF, "续租九五折", dict(discount=Decimal("9.5"))),
            (CouponKind.RENT_FREE, "免租7天", dict(free_days=7)),
        ):
            kid = ctx.next_id("coupon")
            terms = {"amount": None, "threshold": None, "discount": None, "free_days": None, **extra}
            coupons.append(
                dict(
                    id=kid,
                    company_id=cid,
                    name=name,
                    kind=kind,
                    **terms,
                    valid_from=today - timedelta(days=10),
                    valid_to=today + timedelta(days=80),
                    stock=200,
                    issued=rng.randint(0, 120),
                    per_user_limit=1,
                    enabled=True,
                    created_at=now,
                    version=1,
                )
            )
            coupon_projects += [dict(coupon_id=kid, project_id=pid) for pid in mine[:2]]
    ctx.bulk(Coupon, coupons, "优惠券")
    ctx.bulk(CouponProject, coupon_projects, "优惠券适用项目")

    sales, claims, bargains, records = [], [], [], []
    batch_rooms = sa.select(Room.id).where(Room.import_batch_id.is_not(None))
    for pj in projects:
        rooms = s.execute(
            sa.select(Room.id, Room.rent)
            .where(Room.project_id == pj.id, Room.status == RoomStatus.VACANT, Room.id.not_in(batch_rooms))
            .order_by(Room.id)
            .limit(2)
        ).all()
        if not rooms:
            continue
        sid = ctx.next_id("flash_sale")
        sold = rng.randint(1, 2)  # every sale shows a claim or two
        sales.append(
            dict(
                id=sid,
                project_id=pj.id,
                room_id=rooms[0].id,
                title=f"{pj.name}限时秒杀",
                original_price=rooms[0].rent,
                sale_price=(rooms[0].rent * Decimal("0.8")).quantize(Decimal(1)),
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=7),
                stock=3,
                sold=sold,
                created_at=now,
                version=1,
            )
        )
        claims += [
            dict(flash_sale_id=sid, project_id=pj.id, name=ctx.person(), phone=ctx.phone(), created_at=now)
            for i in range(sold)
        ]
        bid = ctx.next_id("bargain")
        room = rooms[-1]
        bargains.append(
            dict(
                id=bid,
                project_id=pj.id,
                room_id=room.id,
                title=f"{pj.name}好友助力砍租金",
                original_price=room.rent,
                floor_price=(room.rent * Decimal("0.85")).quantize(Decimal(1)),
                helpers_needed=10,
                starts_at=now - timedelta(days=3),
                ends_at=now + timedelta(days=11),
                created_at=now,
                version=1,
            )
        )
        for i in range(3):
            helpers = [10, 4, 0][i]
            cut = (room.rent - room.rent * Decimal("0.85")) * helpers / 10
            records.append(
                dict(
                    bargain_id=bid,
                    project_id=pj.id,
                    name=ctx.person(),
                    phone=ctx.phone(),
                    helpers=helpers,
                    current_price=(room.rent - cut).quantize(Decimal("0.01")),
                    state=[BargainState.SUCCEEDED, BargainState.GOING, BargainState.FAILED][i],
                    created_at=now,
                )
            )
    ctx.bulk(FlashSale, sales, "秒杀")
    ctx.bulk(FlashClaim, claims, "秒杀记录")
    ctx.bulk(Bargain, bargains, "砍价")
    ctx.bulk(BargainRecord, records, "砍价记录")

    # Each company writes its own notices, about its own first project: no two alike in a list.
    notices = []
    for k, cid in enumerate(ctx.ids["company"]):
        pj = next(p for p in projects if p.company_id == cid)
        outage = today + timedelta(days=3 + k)
        reminder = today - timedelta(days=1 + k)
        notices += [
            dict(
                title=f"{pj.name}停水检修通知",
                body=f"{outage.month}月{outage.day}日 9:00–12:00 {pj.name}停水检修，请提前储水。",
                audience=Audience.PROJECT,
                project_id=pj.id,
                channel=Channel.APP,
                scheduled_at=at(outage - timedelta(days=2), 10),
                state=NotificationState.SCHEDULED,
            ),
            dict(
                title=f"{pj.name}{today.month}月租金缴纳提醒",
                body=f"{pj.name}的租客您好：本月租金请于 {today.month} 月 5 日前缴纳，逾期将按日收取滞纳金。",
                audience=Audience.ALL,
                project_id=None,
                channel=Channel.SMS,
                scheduled_at=at(reminder, 9 + k),
                state=NotificationState.SENT,
            ),
        ]
        ctx.bulk(
            Notification,
            [
                dict(
                    company_id=cid,
                    **n,
                    created_by_id=staff_id(ctx, "manager"),
                    created_at=n["scheduled_at"] - timedelta(hours=20 + k),
                    version=1,
                )
                for n in notices[-2:]
            ],
            "消息通知",
        )

    finished = s.execute(
        sa.select(Contract.id, Contract.project_id, Contract.tenant_id)
        .where(Contract.state.in_([ContractState.CHECKED_OUT, ContractState.ACTIVE]))
        .order_by(Contract.id)
    ).all()
    ctx.bulk(
        Evaluation,
        [
            dict(
                project_id=c.project_id,
                contract_id=c.id,
                tenant_id=c.tenant_id,
                score=rng.choice([3, 4, 4, 5, 5, 5]),
                content=rng.choice(COMMENTS),
                created_at=now,
            )
            for c in finished[::12]
        ],
        "评价",
    )
    ctx.bulk(
        Feedback,
        [
            dict(
                branch_id=b,
                kind=kind,
                title=title,
                content=title + "，详见附件说明。",
                state=state,
                reply=reply,
                submitted_by_id=staff_id(ctx, "sysadmin"),
                created_at=now,
                version=1,
            )
            for b in ctx.ids["branch"]
            for kind, title, state, reply in (
                (FeedbackKind.DEFECT, "房态图批量锁定后偶尔需要刷新", FeedbackState.DONE, "已在新版本修复"),
                (FeedbackKind.REQUEST, "希望账单支持按楼栋导出", FeedbackState.OPEN, ""),
            )
        ],
        "系统反馈",
    )

    # Insurance: four products, their covers and extras; plans for the first company's projects.
    covers_of: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    for name, product_kind, insurer, covers in PRODUCTS:
        pid = ctx.next_id("insurance_product")
        ctx.bulk(
            InsuranceProduct,
            [
                dict(
                    id=pid,
                    name=name,
                    kind=product_kind,
                    insurer=insurer,
                    description=f"{insurer}承保",
                    enabled=True,
                    version=1,
                )
            ],
            "保险产品",
        )
        rows = []
        for label, amount, premium in covers:
            cov = ctx.next_id("insurance_cover")
            rows.append(
                dict(
                    id=cov,
                    product_id=pid,
                    name=label,
                    cover_amount=Decimal(amount),
                    premium=Decimal(premium),
                    version=1,
                )
            )
            covers_of.setdefault(pid, []).append((cov, Decimal(amount), Decimal(premium)))
        ctx.bulk(InsuranceCover, rows, "保额档位")
        ctx.bulk(
            InsuranceExtra,
            [
                dict(product_id=pid, key="理赔电话", value="95500", version=1),
                dict(product_id=pid, key="保障期限", value="一年，随租期续保", version=1),
            ],
            "保险附加信息",
        )
    products = sorted(covers_of)
    branch = dict(branch_name="平安产险北京分公司", branch_code="PA-BJ-001", branch_contact="010-95511")
    plans = []
    for pj in projects[:2]:
        plans.append(
            dict(
                project_id=pj.id,
                product_id=products[0],
                mode=PlanMode.SOLD,
                gift_cover_id=None,
                **branch,
                created_at=now,
                version=1,
            )
        )
        plans.append(
            dict(
                project_id=pj.id,
                product_id=products[1],
                mode=PlanMode.GIFTED,
                gift_cover_id=covers_of[products[1]][0][0],
                **branch,
                created_at=now,
                version=1,
            )
        )
    ctx.bulk(ProjectInsurancePlan, plans, "项目保险方案")
    active = s.execute(
        sa.select(Contract.id, Contract.project_id, Contract.tenant_id, Contract.start_date, Contract.end_date)
        .where(Contract.state == ContractState.ACTIVE)
        .order_by(Contract.id)
    ).all()
    policies = []
    for i, c in enumerate(active[::8]):
        gifted = i % 3 == 0
        product = products[1] if gifted else products[i % 2 * 2]
        cov, insured, cost = covers_of[product][0 if gifted else i % len(covers_of[product])]
        policies.append(
            dict(
                number=f"BD{c.start_date:%Y%m%d}{c.id:06d}",
                project_id=c.project_id,
                contract_id=c.id,
                tenant_id=c.tenant_id,
                product_id=product,
                cover_amount=insured,
                premium=Decimal(0) if gifted else cost,
                gifted=gifted,
                state=PolicyState.IN_FORCE if gifted or i % 5 else PolicyState.UNPAID,  # a gift is never owed
                starts_on=c.start_date,
                ends_on=c.end_date,
                created_at=now,
            )
        )
    for i in range(0, len(policies), 5000):
        ctx.bulk(Policy, policies[i : i + 5000], "保单")


def seed_tenant_marketing(ctx) -> None:
    """Issue 23 through its services: tenants holding coupons, a bargain per project helped by three
    friends (cuts drawn from the demo's random), so 领券记录 and 助力记录 have rows to show."""
    from clss_app.services import marketing

    s, rng = ctx.session, ctx.rng
    coupons = s.execute(sa.select(Coupon.id, Coupon.company_id).order_by(Coupon.id)).all()
    first_of: dict[int, int] = {}
    for cid, company in coupons:
        first_of.setdefault(company, cid)
    for company, cid in first_of.items():
        tenants = s.execute(
            sa.select(Tenant.id).where(Tenant.company_id == company).order_by(Tenant.id).offset(10).limit(50)
        ).scalars()
        for tid in rng.sample(list(tenants), 2):
            with contextlib.suppress(Refused):  # out of stock or expired: nothing to show
                marketing.claim_coupon(s, tid, cid)
    bargains = s.execute(
        sa.select(Bargain.id, Project.company_id).join(Project, Project.id == Bargain.project_id).order_by(Bargain.id)
    ).all()
    for bid, company in bargains:
        people = list(
            s.execute(
                sa.select(Tenant.id).where(Tenant.company_id == company).order_by(Tenant.id).offset(60).limit(40)
            ).scalars()
        )
        if len(people) < 4:
            continue
        me, *friends = rng.sample(people, 4)
        try:
            record = marketing.start_bargain(s, me, bid)
            for f in friends:
                marketing.help_bargain(s, f, saved_id(record), draw=rng.randint)
        except Refused:  # a bargain not running now
            continue
