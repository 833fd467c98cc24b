"""区块链管理: 住房链上架申请 (a company applies per project, its branch's 系统管理员 reviews) and 上架结果 (each
room's result, searchable by project, day and room number). The rules: clss_app/services/chain_listing.py."""

from sqlmodel import Session

from clss_app.admin import Action, Count, Errors, Input, Link, ModelAdmin, Scope, Sort, Values, approve_reject
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.roles import SYS
from clss_app.services import chain_listing
from clss_app.services.permissions import Principal
from models import ChainApplication, ChainApplyState, ChainListing, ListingState, Role

APPLICANTS = frozenset({Role.PRINCIPAL, Role.MULTI_STORE_MANAGER})
RESULTS_ROUTE = "/chain/listings"


def _show_results(ctx: ActionContext[ChainApplication]) -> ActionResult:
    """查看上架结果: the results list filtered to the application."""
    return ActionResult(done=1, goto=f"{RESULTS_ROUTE}?f_application_id={ctx.rows[0].id}")


class ChainApplicationAdmin(ModelAdmin, model=ChainApplication, key="chain_applications"):
    list_columns = [
        "number",
        "project_id",
        "company_id",
        "state",
        "failed_count",  # 申请房间数 in the detail: 申请时间 stays in sight at 1366 px
        "note",
        "applied_at",
    ]
    search = ["number", "project.name", "batch_no"]
    filters = ["state", "applied_at", "project_id", "company_id", "batch_day"]
    form = ["project_id", "remark"]
    fields_override = {
        "project_id": Input(help="以项目为单位申请；申请时检查企业参数的来源平台名称、编码和各房间的上架必填信息"),
        "remark": Input(help="选填，如上架说明"),
    }
    detail_groups = {
        "申请": ["number", "state", "company_id", "project_id", "room_count", "remark", "applied_by_id", "applied_at"],
        "审核": ["reviewed_by_id", "reviewed_at", "review_comment"],
        "上架": [
            "platform_name",
            "platform_code",
            "batch_no",
            "batch_day",
            "attempts",
            "listed_at",
            "succeeded_count",
            "failed_count",
            "note",
        ],
    }
    hidden_for = {"company_id": set(APPLICANTS)}  # their own company: a column the branch needs, not they
    noun = "上架申请"
    create_label = "申请上架"
    default_sort = "-id"
    scope = Scope.project("project_id")
    can_create = APPLICANTS
    can_export = SYS | APPLICANTS
    links = [Link("上架结果", "chain_listings", "application_id")]
    actions = [
        *approve_reject(chain_listing.review, SYS, when={"state": (ChainApplyState.PENDING,)}),
        Action(
            "list_now",
            "立即上架",
            chain_listing.list_now,
            SYS,
            confirm="上架通常由日终批量完成。现在就将选中的 {n} 个申请的房间发送住房链？同一批次重复发送不会重复上架。",
            when={"state": (ChainApplyState.APPROVED,)},
            primary=True,
        ),
        Action(
            "results",
            "上架结果",
            _show_results,
            SYS | APPLICANTS,
            confirm="打开该申请各房间的上架结果（上架成功 / 上架失败及原因 / 未上架）？",
            when={"state": (ChainApplyState.LISTED,)},  # before the batch every room is 未上架
            primary=True,
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: ChainApplication | None) -> Errors:
        return chain_listing.apply_problems(session, values.get("project_id")) if row is None else {}

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: ChainApplication | None) -> str:
        chain_listing.prepare(session, p, values)
        return "待分行系统管理员审核，审核通过后由日终批量上架"

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: ChainApplication) -> None:
        chain_listing.take_rooms(session, row)


class ChainListingAdmin(ModelAdmin, model=ChainListing, key="chain_listings"):
    # 住房链房源编号 (a long code) in the detail: the list keeps its width for the failure's reason.
    list_columns = ["room_id", "external_code", "project_id", "state", "reason", "day", "application_id"]
    search = ["room.number", "external_code"]
    filters = ["project_id", "day", "state", "application_id"]
    fields_override = {"room_id": Input(label="房间号")}
    noun = "上架结果"
    default_sort = Sort("-id", first={"state": (ListingState.FAILED,)})  # the rooms to fix lead
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = SYS | APPLICANTS
