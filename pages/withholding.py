"""财务管理 → 银行批量代扣: 代扣协议, 扣款结果查询 (the runs) and 扣款明细 (their lines), as declarations.

The rules live in clss_app/services/withholding.py and withhold_agreements.py. A card number reads in
full only to the front desk, who sign the agreement with the tenant and check the card; 负责人 and
多店店长 may reveal one (audited), everyone else sees 6222 **** **** 1234.
"""

from sqlmodel import Session

from clss_app.admin import Action, Count, Errors, File, Input, Link, Masked, ModelAdmin, Scope, Values, Within
from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.memo import memo
from clss_app.core.roles import FIN, FRONT_DESK, OWNERS, STORE
from clss_app.services import withhold_agreements, withholding
from clss_app.services.permissions import Principal
from models import AgreementState, RunState, SignMode, WithholdAgreement, WithholdLine, WithholdRun

CARD = Masked("bank_card", full=FRONT_DESK, reveal=OWNERS)
BANK_FILE = File(types=("txt",))


class WithholdAgreementAdmin(ModelAdmin, model=WithholdAgreement, key="withhold_agreements"):
    list_columns = ["tenant_id", "card_no", "bank_name", "state", "sign_mode", "signed_by_id", "signed_at"]
    search = ["holder_name", "bank_name", "tenant.name", "tenant.phone"]
    filters = ["state", "sign_mode", "signed_at", "tenant_id", "company_id"]
    form = ["tenant_id", "card_no", "holder_name", "bank_name"]
    detail = [
        "tenant_id",
        "company_id",
        "card_no",
        "holder_name",
        "bank_name",
        "state",
        "sign_mode",
        "signed_by_id",
        "signed_at",
        "ended_by_id",
        "ended_at",
        "end_reason",
    ]
    fields_override = {
        "card_no": (CARD, Input(help="16–19 位数字，可带空格；换卡请先解约再签新协议")),
        "holder_name": Input(help="须与租客姓名一致"),
        "bank_name": Input(help="如 中国建设银行"),
    }
    noun = "代扣协议"
    default_sort = "-signed_at"
    scope = Scope.unit("company_id")
    can_create = can_import = STORE | FIN
    can_export = FIN
    import_defaults = {"sign_mode": SignMode.BATCH}  # 批量导入 is the company signing for its tenants
    actions = [
        Action(
            "terminate",
            "解约",
            withhold_agreements.terminate,
            STORE | FIN,
            danger=True,
            input_label="解约原因",
            input_required=True,
            confirm="解除选中的 {n} 份代扣协议？已发送银行的扣款不受影响，之后的代扣批次不再包含这些租客。",
            when={"state": (AgreementState.ACTIVE,)},
        )
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: WithholdAgreement | None) -> Errors:
        # The tenants an import's file holds so far (a form's row: none): one agreement per tenant.
        seen: set[int] = memo(session, "withhold_agreement_tenants", set)
        return withhold_agreements.problems(session, values, row) or withhold_agreements.repeated_tenant(seen, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: WithholdAgreement | None) -> str:
        withhold_agreements.prepare(session, p, values)
        return ""


class WithholdRunAdmin(ModelAdmin, model=WithholdRun, key="withhold_runs"):
    """扣款结果查询: each run to the bank and its result; 生成代扣批次 makes one now (its lines, its file)."""

    list_columns = [
        "number",
        "project_id",
        "day",
        "state",
        "line_count",
        "amount_total",
        "succeeded_count",
        "failed_count",
        "origin",
    ]
    search = ["number", "bank_batch_no"]
    filters = ["state", "day", "origin", "project_id", "company_id", "parent_id"]
    form = ["company_id", "project_id"]
    detail_groups = {
        "批次": ["number", "state", "company_id", "project_id", "day", "origin", "parent_id", "created_by_id"],
        "结果": [
            "line_count",
            "amount_total",
            "succeeded_count",
            "succeeded_amount",
            "failed_count",
            "failed_amount",
            "to_resend",
        ],
        "银行": [
            "entrust_no",
            "collect_account",
            "bank_batch_no",
            "sent_at",
            "returned_at",
            "request_file",
            "request_sha256",
            "result_file",
            "note",
        ],
    }
    fields_override = {
        "project_id": (Within("company_id"), Input(help="不选则为本企业全部项目")),
        "request_file": BANK_FILE,
        "result_file": BANK_FILE,
    }
    noun = "代扣批次"
    create_label = "生成代扣批次"
    default_sort = "-id"
    count = Count.CAPPED
    scope = Scope.unit("company_id")
    can_create = can_export = FIN
    links = [
        Link("扣款明细", "withhold_lines", "run_id", totals=("amount",)),
        Link("重发批次", "withhold_runs", "parent_id", totals=()),
    ]
    actions = [
        Action(
            "send",
            "发送",
            withholding.send_runs,
            FIN,
            confirm="将选中的 {n} 个代扣批次的请求文件发送银行？银行按批次号受理，重复发送不会重复扣款。",
            when={"state": (RunState.GENERATED,)},
            primary=True,
        ),
        Action(
            "fetch",
            "获取结果",
            withholding.fetch_results,
            FIN,
            confirm="从银行获取选中的 {n} 个批次的回盘文件：成功的扣款入账，失败的记录原因。",
            when={"state": (RunState.SENT,)},
            primary=True,
        ),
        Action(
            "resend",
            "重新发送失败",
            withholding.resend_failed,
            FIN,
            confirm="为选中的 {n} 个批次中扣款失败、账单仍未结清的笔数生成新批次并发送银行？",
            when={"state": (RunState.RETURNED,), "to_resend": (True,)},
            primary=True,
        ),
        Action(
            "cancel",
            "作废",
            withholding.cancel_runs,
            FIN,
            danger=True,
            confirm="作废选中的 {n} 个未发送的批次？其中的账单可加入之后的批次。",
            when={"state": (RunState.GENERATED,)},
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: WithholdRun | None) -> Errors:
        if row is not None:
            return {}
        return withholding.run_problems(session, values.get("company_id"), values.get("project_id"), clock.today())

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: WithholdRun | None) -> str:
        withholding.prepare(session, values, p.actor_id)
        return "请核对后点击“发送”"

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: WithholdRun) -> None:
        dues = withholding.dues_for(session, row.company_id, row.project_id, row.day)
        if isinstance(dues, str) or not dues:  # a parameter or a bill changed since the form's check
            raise ValidationFailed({"company_id": dues if isinstance(dues, str) else "没有需要代扣的账单"})
        try:
            withholding.fill(session, row, dues, p.username)
        except withholding.BillsTaken:
            raise ValidationFailed({"project_id": "有账单刚加入其他代扣批次，请重新生成"}) from None


class WithholdLineAdmin(ModelAdmin, model=WithholdLine, key="withhold_lines"):
    # The reason is a filter and in the detail; the list reads the bank's own words (a column of reasons
    # as badges would colour 卡状态异常 red and 余额不足 blue, failures alike).
    list_columns = ["run_id", "line_no", "tenant_id", "bill_id", "card_no", "amount", "state", "bank_message"]
    search = ["ref", "bank_txn_id", "tenant.name", "bill.title"]
    filters = ["state", "reason", "day", "run_id", "project_id", "bill_id", "tenant_id"]
    primary_filters = ["state", "reason", "day"]
    fields_override = {"card_no": CARD}
    noun = "扣款记录"
    default_sort = "-id"
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = FIN
