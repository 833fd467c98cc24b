"""区块链管理 / 住房链上架: a project's application, its review, and the end-of-day batch that lists its rooms.

- A company (负责人, 多店店长 of the project) applies per project. The application takes the project's
  rooms not yet listed; it is refused, naming what is missing, unless the company's 企业参数 has its
  来源平台名称 and 来源平台编码 and every one of those rooms has 纬度, 经度, 来源平台房间编号, 封面图 and
  介绍图片. One application of a project is open (待审核 / 待上架) at a time.
- The 系统管理员 of the branch the company sits under approves it (待上架) or rejects it with a reason;
  no one else, whatever their data scope (checked here, on the server).
- The end-of-day batch (the daily job, or 立即上架) sends each approved application's waiting rooms to
  住房链 as one day's listing batch, under a number given at approval: the chain's idempotency key, kept
  for every retry. Each room's result (上架成功 / 上架失败 with the chain's reason) is written once, by a
  conditional update; a chain that does not answer leaves the application 待上架 with the reason, for
  the next batch to send again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from clss_app import db
from clss_app.core import audit, clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.images import split_images
from clss_app.core.principal import Principal
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id, table_of
from clss_app.services import housing_chain, params
from models import (
    ChainApplication,
    ChainApplyState,
    ChainListing,
    ListingState,
    OrgUnit,
    Project,
    Role,
    Room,
)

RESOURCE = "chain_applications"
OPEN = (ChainApplyState.PENDING, ChainApplyState.APPROVED)
SHOWN_ROOMS = 8  # rooms a refusal names; the rest are counted
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- applying


def rooms_to_list(session: Session, project_id: int) -> list[Room]:
    """The project's rooms not yet listed on the chain, in building, floor and number order."""
    listed = select(ChainListing.room_id).where(
        ChainListing.project_id == project_id, ChainListing.state == ListingState.LISTED
    )
    return list(
        session.exec(
            select(Room)
            .where(Room.project_id == project_id, col(Room.id).not_in(listed))
            .order_by(col(Room.building_id), col(Room.floor_no), col(Room.number))
        ).all()
    )


def room_gaps(room: Room) -> list[str]:
    """What a room lacks before it may go on the chain (domain guide: Housing)."""
    gaps = []
    if room.latitude is None:
        gaps.append("纬度")
    if room.longitude is None:
        gaps.append("经度")
    if not room.external_code.strip():
        gaps.append("来源平台房间编号")
    if not room.cover:
        gaps.append("封面图")
    if not split_images(room.photos):
        gaps.append("介绍图片")
    return gaps


def platform_of(session: Session, company_id: int) -> tuple[str, str]:
    """The company's 来源平台名称 and 编码 (企业参数; "" when not set)."""
    return (
        str(params.enterprise_value(session, company_id, "source_platform_name")),
        str(params.enterprise_value(session, company_id, "source_platform_code")),
    )


def apply_problems(session: Session, project_id: int | None) -> dict[str, str]:
    """{field: message} when the project may not be applied for now; each missing thing named."""
    project = session.get(Project, project_id) if project_id else None
    if project is None:
        return {}  # the engine says the field is required
    pending = session.exec(
        select(ChainApplication.number).where(
            ChainApplication.project_id == project.id, col(ChainApplication.state).in_(OPEN)
        )
    ).first()
    if pending:
        return {"project_id": f"该项目已有进行中的上架申请（{pending}），请待其审核或上架完成"}
    problems = []
    name, code = platform_of(session, project.company_id)
    unset = [label for label, v in (("来源平台名称", name), ("来源平台编码", code)) if not v]
    if unset:
        problems.append(f"企业参数未设置{'、'.join(unset)}（请分行系统管理员在 系统管理 → 企业参数 中填写）")
    rooms = rooms_to_list(session, saved_id(project))
    if not rooms:
        problems.append("项目下没有待上架的房间（房间均已上架成功，或尚未录入房间）")
    lacking = [(r.number, gaps) for r in rooms if (gaps := room_gaps(r))]
    if lacking:
        named = "；".join(f"{number}（{'、'.join(gaps)}）" for number, gaps in lacking[:SHOWN_ROOMS])
        more = f"；等共 {len(lacking)} 间" if len(lacking) > SHOWN_ROOMS else ""
        problems.append(f"{len(lacking)} 间房缺少上架必填信息：{named}{more}")
    return {"project_id": "。".join(problems)} if problems else {}


def next_number(session: Session, company_id: int, day: date) -> str:
    """SL + the day + the company (4 digits) + a number of the day (3 digits); a unique column says it."""
    prefix = f"SL{day:%Y%m%d}{company_id:04d}"
    taken = session.execute(select(sa.func.count()).where(col(ChainApplication.number).like(prefix + "%"))).scalar_one()
    return f"{prefix}{taken + 1:03d}"


def batch_no_of(number: str) -> str:
    """The listing batch's number (the chain's idempotency key): the application's, as ZL…."""
    return "ZL" + number[2:]


def prepare(session: Session, p: Principal, values: dict) -> None:
    """A new application's own values: its number, company, the platform as set now, who applied."""
    project = session.get_one(Project, values["project_id"])
    name, code = platform_of(session, project.company_id)
    values.update(
        number=next_number(session, project.company_id, clock.today()),
        company_id=project.company_id,
        state=ChainApplyState.PENDING,
        platform_name=name,
        platform_code=code,
        applied_by_id=p.actor_id,
    )


def take_rooms(session: Session, application: ChainApplication) -> None:
    """Each room the application lists gets its result row, 未上架 until the chain answers."""
    rooms = rooms_to_list(session, application.project_id)
    app_id = saved_id(application)
    if not rooms:  # checked when applying; the rooms went meanwhile
        raise ValidationFailed({"project_id": "项目下没有待上架的房间"})
    session.execute(
        sa.insert(ChainListing),
        [
            dict(
                application_id=app_id,
                company_id=application.company_id,
                project_id=application.project_id,
                room_id=saved_id(r),
                external_code=r.external_code,
                state=ListingState.WAITING,
                reason="",
                chain_code="",
                version=1,
            )
            for r in rooms
        ],
    )
    session.execute(sa.update(ChainApplication).where(col(ChainApplication.id) == app_id).values(room_count=len(rooms)))


# ---------------------------------------------------------------- review


def reviewer_problem(session: Session, p: Principal, application: ChainApplication) -> str:
    """Only the 系统管理员 of the branch the company sits under reviews and lists its applications."""
    company = session.get(OrgUnit, application.company_id)
    if p.role != Role.SYSTEM_ADMIN or company is None or company.parent_id != p.unit_id:
        return "只有企业所属分行的系统管理员可以处理住房链上架申请"
    return ""


def review(approve: bool) -> Callable[[ActionContext[ChainApplication]], ActionResult]:
    def act(ctx: ActionContext[ChainApplication]) -> ActionResult:
        session, result = ctx.session, ActionResult()
        for application in ctx.rows:
            why = reviewer_problem(session, ctx.principal, application)
            if why:
                result.refused.append((application.number, why))
                continue
            values: dict = dict(
                state=ChainApplyState.APPROVED if approve else ChainApplyState.REJECTED,
                reviewed_by_id=ctx.principal.actor_id,
                reviewed_at=clock.now(),
                review_comment=ctx.text or ("审核通过" if approve else ""),
                version=ChainApplication.version + 1,
            )
            if approve:
                values["batch_no"] = batch_no_of(application.number)
            if not changed(
                session,
                sa.update(ChainApplication)
                .where(col(ChainApplication.id) == application.id, ChainApplication.state == ChainApplyState.PENDING)
                .values(**values),
            ):
                result.refused.append((application.number, "已被他人处理，请刷新"))
                continue
            if approve:  # the project is on the chain now: its rooms keep their location and code (housing.py)
                session.execute(
                    sa.update(Project)
                    .where(col(Project.id) == application.project_id)
                    .values(on_blockchain=True, version=Project.version + 1)
                )
            else:
                session.execute(
                    sa.update(ChainListing)
                    .where(ChainListing.application_id == application.id, ChainListing.state == ListingState.WAITING)
                    .values(reason=f"申请已驳回：{ctx.text}"[:128])
                )
            result.done += 1
        return result

    return act


# ---------------------------------------------------------------- the listing batch


def _batch(session: Session, application: ChainApplication, day: date) -> tuple[housing_chain.Batch, dict]:
    waiting = session.exec(
        select(ChainListing, Room)
        .join(Room, col(Room.id) == ChainListing.room_id)
        .where(ChainListing.application_id == application.id, ChainListing.state == ListingState.WAITING)
        .order_by(col(ChainListing.id))
    ).all()
    project = session.get_one(Project, application.project_id)
    rooms = [
        housing_chain.RoomListing(
            ref=str(room.id),
            room_no=room.number,
            external_code=room.external_code,
            latitude=str(room.latitude or ""),
            longitude=str(room.longitude or ""),
            cover=room.cover,
            photos=len(split_images(room.photos)),
        )
        for _, room in waiting
    ]
    batch = housing_chain.Batch(
        application.batch_no,
        day,
        application.platform_code,
        application.platform_name,
        project.name,
        project.city,
        rooms,
    )
    return batch, {str(room.id): (listing, room) for listing, room in waiting}


def send(
    session: Session,
    application: ChainApplication,
    day: date | None = None,
    chain: housing_chain.HousingChain | None = None,
) -> str:
    """Sends an approved application's waiting rooms to 住房链 and writes each room's result; "" when
    done, else why not (kept on the application, which stays 待上架 for the next batch)."""
    if application.state != ChainApplyState.APPROVED:
        return f"当前为{application.state.label}，只有待上架的申请可以发送"
    day = application.batch_day or day or clock.today()  # a retry is the same day's batch, as the chain keys it
    session.execute(
        sa.update(ChainApplication)
        .where(col(ChainApplication.id) == application.id)
        .values(batch_day=day, attempts=ChainApplication.attempts + 1)
    )
    batch, mine = _batch(session, application, day)
    try:
        results = (chain or housing_chain.gateway()).list_batch(batch)
    except housing_chain.ChainError as exc:
        session.execute(
            sa.update(ChainApplication).where(col(ChainApplication.id) == application.id).values(note=str(exc)[:255])
        )
        audit.record(session, None, RESOURCE, application.id, "list_failed", summary=f"{batch.batch_no}：{exc}")
        return str(exc)
    now, first = clock.now(), dict[str, housing_chain.RoomResult]()
    for r in results:  # a room the answer names twice is read once
        first.setdefault(r.ref, r)
    decided = []
    for ref, (listing, room) in mine.items():
        got = first.get(ref)
        state, reason, chain_code = (
            (ListingState.WAITING, "住房链未返回该房间的结果", "")
            if got is None
            else (ListingState.LISTED, "", got.chain_code[:40])
            if got.ok
            else (ListingState.FAILED, (got.message or "住房链拒绝上架")[:128], "")
        )
        decided.append(
            dict(b_id=listing.id, b_state=state, b_reason=reason, b_code=chain_code, b_ext=room.external_code)
        )
    if decided:  # each room once: only a row still 未上架 takes its result (one statement, every room)
        t = table_of(ChainListing)
        changed(
            session,
            sa.update(t)
            .where(t.c.id == sa.bindparam("b_id"), t.c.state == ListingState.WAITING)
            .values(
                state=sa.bindparam("b_state"),
                reason=sa.bindparam("b_reason"),
                chain_code=sa.bindparam("b_code"),
                external_code=sa.bindparam("b_ext"),
                day=day,
                listed_at=now,
                version=t.c.version + 1,
            ),
            decided,
        )
    counts = dict(
        session.execute(
            sa.select(ChainListing.state, sa.func.count())
            .where(ChainListing.application_id == application.id)
            .group_by(ChainListing.state)
        ).all()
    )
    ok, failed = counts.get(ListingState.LISTED, 0), counts.get(ListingState.FAILED, 0)
    if changed(
        session,
        sa.update(ChainApplication)
        .where(col(ChainApplication.id) == application.id, ChainApplication.state == ChainApplyState.APPROVED)
        .values(
            state=ChainApplyState.LISTED,
            listed_at=now,
            succeeded_count=ok,
            failed_count=failed,
            note="",
            version=ChainApplication.version + 1,
        ),
    ):
        audit.record(
            session,
            None,
            RESOURCE,
            application.id,
            "list",
            before={"state": ChainApplyState.APPROVED.value},
            after={"state": ChainApplyState.LISTED.value},
            summary=f"住房链上架 {batch.batch_no}：成功 {ok} 间，失败 {failed} 间",
        )
    return ""


def list_now(ctx: ActionContext[ChainApplication]) -> ActionResult:
    """立即上架: the batch of the chosen approved applications now, by their branch's 系统管理员."""
    result = ActionResult()
    for application in ctx.rows:
        why = reviewer_problem(ctx.session, ctx.principal, application) or send(ctx.session, application)
        if why:
            result.refused.append((application.number, why))
            continue
        ctx.session.refresh(application)
        result.done += 1
        result.notes.append(
            f"{application.number} 上架成功 {application.succeeded_count} 间，失败 {application.failed_count} 间"
        )
    return result


def run_due(today: date | None = None) -> dict[str, int]:
    """The end-of-day batch: every approved application's rooms, each application in a transaction of
    its own; one the chain does not take now waits, 待上架 with the reason, for the next round."""
    today = today or clock.today()
    done = {"chain_batches_listed": 0, "chain_batches_waiting": 0}
    with db.session_scope() as s:
        ids = s.exec(
            select(ChainApplication.id)
            .where(ChainApplication.state == ChainApplyState.APPROVED)
            .order_by(col(ChainApplication.id))
        ).all()
    for app_id in ids:
        with db.session_scope() as s:
            why = send(s, s.get_one(ChainApplication, app_id), today)
        if why:
            log.warning("chain listing of application %s waits: %s", app_id, why)
        done["chain_batches_waiting" if why else "chain_batches_listed"] += 1
    return done
