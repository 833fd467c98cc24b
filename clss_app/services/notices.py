"""系统公告: a branch's system admin tells the staff of its companies something; each reader marks it read.

Who sees a notice (``addressed``, one SQL condition for the home page, the bell and the read mark): it is
published; today (Asia/Shanghai) lies between its 生效日期 and 失效日期, both included; the reader's
role is one it names; the reader sits under the unit that published it; and it names no company, or
the reader's company. Until the reader marks it read it stays on their home page and in their bell.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, table_of
from clss_app.services.permissions import Principal
from models import Notice, NoticeCompany, NoticeRead, NoticeState, OrgUnit, Role, UnitKind, utcnow

# The roles a notice may be addressed to, each by its flag on the notice.
ROLE_FLAGS: dict[Role, str] = {
    Role.PRINCIPAL: "to_principal",
    Role.MULTI_STORE_MANAGER: "to_multi_store",
    Role.STORE_MANAGER: "to_store_manager",
    Role.STORE_ASSISTANT: "to_store_assistant",
    Role.FINANCE: "to_finance",
}
SHOWN = 20  # notices on a home page or in a bell at most


def _chain(session: Session, unit_id: int) -> list[int]:
    """The unit and every unit above it."""
    out: list[int] = []
    at: int | None = unit_id
    while at is not None and at not in out:
        out.append(at)
        at = session.execute(select(OrgUnit.parent_id).where(OrgUnit.id == at)).scalar_one_or_none()
    return out


def addressed(session: Session, p: Principal, day: date):
    """SQL: the notices p may read on ``day``."""
    flag = ROLE_FLAGS.get(p.role)
    if flag is None:
        return sa.false()
    chosen = sa.exists().where(NoticeCompany.notice_id == Notice.id)
    return sa.and_(
        Notice.state == NoticeState.PUBLISHED,
        Notice.starts_on <= day,
        sa.or_(Notice.ends_on.is_(None), Notice.ends_on >= day),
        getattr(Notice, flag).is_(True),
        Notice.unit_id.in_(_chain(session, p.unit_id)),
        sa.or_(~chosen, chosen.where(NoticeCompany.company_id == p.unit_id)),
    )


def unread(session: Session, p: Principal, day: date | None = None) -> list[Notice]:
    """What p has still to read today, the latest first."""
    seen = sa.exists().where(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == p.user_id)
    return list(
        session.exec(
            select(Notice)
            .where(addressed(session, p, day or clock.today()), ~seen)
            .order_by(Notice.starts_on.desc(), Notice.id.desc())
            .limit(SHOWN)
        )
    )


def cards(session: Session, p: Principal) -> list[dict[str, str]]:
    """The unread notices as the home page and the bell show them."""
    return [
        {"id": str(n.id), "title": n.title, "body": n.body, "day": n.starts_on.isoformat()} for n in unread(session, p)
    ]


def mark_read(session: Session, p: Principal, notice_id: int) -> bool:
    """已读: only a notice p may read now; marking it twice changes nothing."""
    if not session.execute(
        select(Notice.id).where(Notice.id == notice_id, addressed(session, p, clock.today()))
    ).first():
        return False
    db.insert_ignoring_duplicates(
        session, table_of(NoticeRead), [(notice_id, p.user_id, utcnow())], ["notice_id", "user_id", "read_at"]
    )
    return True


# ---------------------------------------------------------------- writing one


def problems(session: Session, values: dict) -> dict[str, str]:
    out = {}
    if not any(values.get(f) for f in ROLE_FLAGS.values()):
        out["to_store_manager"] = "请至少选择一个接收角色"
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts and ends and ends < starts:
        out["ends_on"] = "失效日期不能早于生效日期"
    return out


def company_problems(session: Session, unit_id: int, company_ids: list[int]) -> str:
    """The companies chosen must be companies under the publishing unit."""
    if not company_ids:
        return ""
    under = {
        i
        for i, kind, parent in session.execute(
            select(OrgUnit.id, OrgUnit.kind, OrgUnit.parent_id).where(OrgUnit.id.in_(company_ids))
        )
        if kind == UnitKind.COMPANY and unit_id in _chain(session, parent)
    }
    bad = [i for i in company_ids if i not in under]
    return f"只能选择本机构下的企业（{len(bad)} 个不符合）" if bad else ""


def audience(session: Session, values: dict, company_ids: list[int]) -> str:
    """发送对象 as the list reads it: 店长、店助 · 全部企业."""
    roles = "、".join(r.label for r, f in ROLE_FLAGS.items() if values.get(f))
    names = [n for (n,) in session.execute(select(OrgUnit.name).where(OrgUnit.id.in_(company_ids)))]
    return f"{roles} · {'、'.join(names) if names else '全部企业'}"[:255]


def _move(ctx: ActionContext[Notice], old: NoticeState, new: NoticeState, **more) -> ActionResult:
    result = ActionResult()
    for n in ctx.rows:
        if n.state != old:
            result.refused.append((n.title, f"当前为{n.state.label}"))
        elif changed(
            ctx.session,
            sa.update(Notice)
            .where(Notice.id == n.id, Notice.state == old)
            .values(state=new, version=Notice.version + 1, **more)
            .execution_options(synchronize_session=False),
        ):
            n.state = new
            result.done += 1
        else:
            result.refused.append((n.title, "已被他人处理，请刷新"))
    return result


def publish(ctx: ActionContext[Notice]) -> ActionResult:
    """发布: from the 生效日期 on, the notice shows to those it names."""
    today = clock.today()
    late = [n for n in ctx.rows if n.ends_on is not None and n.ends_on < today]
    result = _move(
        ActionContext(ctx.session, ctx.principal, [n for n in ctx.rows if n not in late]),
        NoticeState.DRAFT,
        NoticeState.PUBLISHED,
        published_at=utcnow(),
    )
    result.refused += [(n.title, f"失效日期 {n.ends_on} 已过，请修改后再发布") for n in late]
    return result


def withdraw(ctx: ActionContext[Notice]) -> ActionResult:
    """撤回: it leaves every home page and bell at once."""
    return _move(ctx, NoticeState.PUBLISHED, NoticeState.WITHDRAWN)
