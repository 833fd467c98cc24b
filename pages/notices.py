"""系统管理 → 系统公告: a branch's notices to roles of its companies (services/notices.py)."""

from sqlmodel import Session

from clss_app.admin import Action, Errors, Input, Many, ModelAdmin, Scope, Sort, Values
from clss_app.core.errors import ValidationFailed
from clss_app.core.roles import SYS
from clss_app.services import notices
from clss_app.services.permissions import Principal
from models import Notice, NoticeCompany, NoticeState

DRAFT = {"state": (NoticeState.DRAFT,)}


class NoticeAdmin(ModelAdmin, model=Notice, key="notices"):
    list_columns = ["title", "audience", "starts_on", "ends_on", "state", "published_at", "created_by_id"]
    search = ["title", "body"]
    filters = ["state", "starts_on", "ends_on", "unit_id"]
    form = [
        "title",
        "body",
        "to_principal",
        "to_multi_store",
        "to_store_manager",
        "to_store_assistant",
        "to_finance",
        "companies",
        "starts_on",
        "ends_on",
    ]
    many = {"companies": Many(NoticeCompany, "notice_id", "company_id", "接收企业", help="不选则为本机构下全部企业")}
    detail_groups = {
        "公告": ["title", "body", "state", "starts_on", "ends_on"],
        "发送对象": ["audience", "companies", "unit_id"],
        "记录": ["created_by_id", "created_at", "published_at"],
    }
    fields_override = {
        "body": Input(help="显示在接收人的首页和消息铃铛中，直至其标为已读"),
        "starts_on": Input(help="北京时间当日起显示"),
        "ends_on": Input(help="不填则长期有效；当日结束后不再显示"),
    }
    noun = "公告"
    default_sort = Sort("-id")
    scope = Scope.unit("unit_id")
    can_create = can_update = can_export = SYS
    update_when = DRAFT
    actions = [
        Action(
            "publish",
            "发布",
            notices.publish,
            SYS,
            confirm="发布选中的 {n} 条公告？发布后在生效期内显示给所选角色。",
            when=DRAFT,
            primary=True,
        ),
        Action(
            "withdraw",
            "撤回",
            notices.withdraw,
            SYS,
            danger=True,
            confirm="撤回选中的 {n} 条公告？撤回后不再显示。",
            when={"state": (NoticeState.PUBLISHED,)},
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Notice | None) -> Errors:
        return notices.problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Notice | None) -> str:
        unit = row.unit_id if row is not None else p.unit_id
        companies = list(values.get("companies") or [])
        if why := notices.company_problems(session, unit, companies):
            raise ValidationFailed({"companies": why})
        values["audience"] = notices.audience(session, values, companies)
        if row is None:
            values.update(unit_id=unit, created_by_id=p.actor_id)
        return "保存为草稿，点“发布”后生效" if row is None else ""
