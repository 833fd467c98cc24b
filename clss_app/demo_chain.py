"""Demo step for 住房链上架, in the first company (京安居, under 北京分行): its 来源平台名称 and 编码, its scattered
project's rooms (海淀家园, the 多店店长's too) each with a 来源平台房间编号 and a location, and two
applications of that project:

- the first, approved by sysadmin and listed by the end-of-day batch three days ago: every room 上架成功
  but one, refused by the chain (产权信息核验未通过, the sandbox's demo refusal);
- the second, for that one room after its code was corrected, 待审核 today.

Rows are written as the app writes them (services/chain_listing.py) and the chain's codes as the sandbox
derives them, so the demo runs without the sandbox."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.sandbox import housing_chain as sandbox
from clss_app.services import chain_listing
from models import (
    ChainApplication,
    ChainApplyState,
    ChainListing,
    EnterpriseParam,
    ListingState,
    Project,
    PublishState,
    Room,
)

PLATFORM_NAME, PLATFORM_CODE = "京安居自营平台", "JAJ"
REFUSED_CODE, REFUSED_WHY = next(iter(sandbox.DEMO_REFUSED.items()))


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.SHANGHAI)


def chain_code(platform: str, code: str) -> str:
    """The chain's code of a listed room, as the sandbox derives it."""
    return "ZFL" + hashlib.sha256(f"{platform}/{code}".encode()).hexdigest()[:16].upper()


def seed_chain(ctx) -> None:
    from clss_app.demo import staff_id

    s, today = ctx.session, clock.today()
    company = ctx.ids["company"][0]
    project = s.get_one(Project, ctx.projects_by_company[company][1])
    ctx.bulk(
        EnterpriseParam,
        [
            dict(company_id=company, key="source_platform_name", value=PLATFORM_NAME, remark="住房链", version=1),
            dict(company_id=company, key="source_platform_code", value=PLATFORM_CODE, remark="住房链", version=1),
        ],
        "企业参数",
    )
    rooms = s.scalars(sa.select(Room).where(Room.project_id == project.id).order_by(Room.id)).all()
    centre = next((r for r in rooms if r.latitude is not None), None)
    lat, lng = (centre.latitude, centre.longitude) if centre else (Decimal("39.858"), Decimal("116.287"))
    refused = rooms[4]
    for k, r in enumerate(rooms):
        r.external_code = REFUSED_CODE if r is refused else f"{PLATFORM_CODE}-{r.number}"
        if r.latitude is None or r.longitude is None:  # located now, as the chain asks (and so shown to tenants)
            r.latitude = lat + Decimal(k % 7 - 3) / 1000
            r.longitude = lng + Decimal(k % 5 - 2) / 1000
            r.visible = project.publish_state == PublishState.PUBLISHED and bool(r.cover and r.photos)
        s.add(r)
    s.flush()

    day = today - timedelta(days=3)
    applicant, reviewer = staff_id(ctx, "principal"), staff_id(ctx, "sysadmin")
    number = f"SL{day - timedelta(days=1):%Y%m%d}{company:04d}001"
    first = ChainApplication(
        number=number,
        company_id=company,
        project_id=project.id,
        state=ChainApplyState.LISTED,
        remark="首批房源上架",
        room_count=len(rooms),
        platform_name=PLATFORM_NAME,
        platform_code=PLATFORM_CODE,
        applied_by_id=applicant,
        applied_at=_at(day - timedelta(days=1), 10),
        reviewed_by_id=reviewer,
        reviewed_at=_at(day, 9),
        review_comment="资料齐全，同意上架",
        batch_no=chain_listing.batch_no_of(number),
        batch_day=day,
        attempts=1,
        listed_at=_at(day, 23),
        succeeded_count=len(rooms) - 1,
        failed_count=1,
    )
    s.add(first)
    s.flush()
    listings = [
        dict(
            application_id=first.id,
            company_id=company,
            project_id=project.id,
            room_id=r.id,
            external_code=r.external_code,
            state=ListingState.FAILED if r is refused else ListingState.LISTED,
            reason=REFUSED_WHY if r is refused else "",
            chain_code="" if r is refused else chain_code(PLATFORM_CODE, r.external_code),
            day=day,
            listed_at=_at(day, 23),
            version=1,
        )
        for r in rooms
    ]
    ctx.bulk(ChainListing, listings, "住房链上架结果")
    s.execute(sa.update(Project).where(Project.id == project.id).values(on_blockchain=True))

    # The refused room's code corrected, and applied for again today: waiting for the branch.
    refused.external_code = f"{PLATFORM_CODE}-{refused.number}"
    s.add(refused)
    second = ChainApplication(
        number=f"SL{today:%Y%m%d}{company:04d}001",
        company_id=company,
        project_id=project.id,
        remark=f"{refused.number} 已更正来源平台房间编号，重新申请上架",
        room_count=1,
        platform_name=PLATFORM_NAME,
        platform_code=PLATFORM_CODE,
        applied_by_id=applicant,
        applied_at=_at(today, 9),
    )
    s.add(second)
    s.flush()
    chain_listing.take_rooms(s, second)
    ctx.counts["住房链上架申请"] = 2
