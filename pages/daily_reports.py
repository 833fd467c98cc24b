"""财务管理 → 交款日报: each collector's day of 收款登记 by method, and 财务's 交款确认 (services/daily_reports.py)."""

from sqlmodel import Session

from clss_app.admin import Action, Errors, Input, Link, ModelAdmin, Scope, Sort, Values, ask
from clss_app.core.roles import FIN
from clss_app.services import daily_reports
from clss_app.services.permissions import Principal
from models import DailyReport, DailyReportState

PENDING = {"state": (DailyReportState.PENDING,)}


class DailyReportAdmin(ModelAdmin, model=DailyReport, key="daily_reports"):
    list_columns = [
        "day",
        "collector_id",
        "entry_count",
        "cash",
        "transfer",
        "pos",
        "wechat",
        "total",
        "state",
        "difference",
    ]
    search = ["collector.display_name", "note"]
    filters = ["day", "state", "collector_id", "company_id"]
    form = ["collector_id"]
    detail_groups = {
        "日报": ["day", "collector_id", "company_id", "state", "entry_count", "generated_at"],
        "按收款方式": ["cash", "transfer", "pos", "wechat", "other", "total"],
        "交款确认": ["handed_in", "difference", "note", "confirmed_by_id", "confirmed_at"],
    }
    fields_override = {"collector_id": Input(required=False, help="不选则为本人")}
    noun = "交款日报"
    create_label = "生成今日日报"
    # What waits for 交款确认 leads, the latest day first; the confirmed follow.
    default_sort = Sort("-day", first=PENDING, then="-day")
    scope = Scope.unit("company_id")
    can_create = can_export = FIN
    links = [Link("收款明细", "payments", "daily_report_id", totals=("amount",))]
    actions = [
        Action(
            "confirm",
            "交款确认",
            daily_reports.confirm,
            FIN,
            inputs=ask(
                DailyReport,
                "handed_in",
                "note",
                handed_in=Input(required=False, help="不填则按日报合计"),
                note=Input(help="实交金额与合计不符时必填"),
            ),
            confirm="确认已收到选中的 {n} 份日报的交款？确认后其中的收款记录不能再修改。",
            when=PENDING,
            primary=True,
        ),
        Action(
            "recount",
            "重新统计",
            daily_reports.recount,
            FIN,
            confirm="重新统计选中的 {n} 份日报（计入收款人此后登记的收款）？",
            when=PENDING,
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: DailyReport | None) -> Errors:
        return {} if row is not None else daily_reports.today_problems(session, p, values.get("collector_id"))

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: DailyReport | None) -> str:
        daily_reports.prepare_today(session, p, values)
        return ""

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: DailyReport) -> None:
        daily_reports.collect(session, row)
