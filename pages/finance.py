"""财务管理: bills, payments (offline, by QR code, prepaid), refunds, bad-debt approvals and the clearing."""

from sqlmodel import Session

from clss_app.admin import Action, Count, Errors, Input, Link, ModelAdmin, Scope, Sort, Values, approve_reject, ask
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.roles import FIN, OWNERS, STORE
from clss_app.core.timeline import Event
from clss_app.services import (
    bill_approvals,
    bills,
    clearing,
    documents,
    leasing,
    pay_orders,
    payment_corrections,
    prepaid,
    timelines,
)
from clss_app.services.permissions import VIEW, Principal, can
from models import (
    UNPAID_BILL_STATES,
    AdjustmentState,
    ApprovalState,
    BadDebt,
    BalanceEntry,
    BalanceKind,
    Bill,
    BillAdjustment,
    BillState,
    Clearing,
    ClearingDifference,
    DepositState,
    DifferenceState,
    ExceptionState,
    LedgerSource,
    PayCallback,
    Payment,
    PayOrder,
    PayOrderState,
    Reservation,
    Role,
    Tenant,
)
from pages.printing import handed_over, printed

R = Role
APPROVERS = bill_approvals.LEVEL1_ROLES | bill_approvals.LEVEL2_ROLES
OWED = {"state": (BillState.CONFIRMED, BillState.PARTLY_PAID)}  # the tenant owes it now (bills.OPEN)
DRAFT = {"state": (BillState.UNCONFIRMED,)}
# Requests waiting for an approver lead, oldest first; the decided ones follow, latest first.
AWAITING = Sort("created_at", first={"state": (ApprovalState.LEVEL1, ApprovalState.LEVEL2)}, then="-id")

PAYMENT = ask(
    Payment,
    "amount",
    "method",
    "receipt_no",
    "paid_on",
    required=("receipt_no",),
    amount=Input(required=False, help="不填则按未收金额全额登记"),
)


def _payment_notice(ctx: ActionContext[Bill]) -> ActionResult:
    """缴费通知单 with the QR code of the bills' order (made now, or the one waiting for them already); a
    company without 支付参数 gets the notice without a code."""
    ordered = pay_orders.create(ctx)
    if ordered.refused and ordered.refused[0][0] != "支付参数":
        return ordered
    order = pay_orders.pending_order_of(ctx.session, ctx.rows[0].id) if ordered.done else None
    rows = sorted(ctx.rows, key=lambda b: (b.due_date, b.id or 0))
    return handed_over(ctx, documents.payment_notice(ctx.session, rows, order, ctx.principal.actor_id))


class BillAdmin(ModelAdmin, model=Bill, key="bills"):
    # What a store works by first (due date, amounts, state: in view at 1366 px), the period after.
    list_columns = [
        "title",
        "tenant_id",
        "fee_name",
        "due_date",
        "amount",
        "paid",
        "state",
        "payer",
        "period_start",
        "period_end",
    ]
    # The bill's tenant through its contract: bill.tenant_id has no index of its own (see models.leasing.Bill).
    search = ["title", "room.number", "contract.number", "contract.tenant.name", "contract.tenant.phone"]
    filters = ["project_id", "state", "kind", "payer", "due_date", "period_start", "contract_id", "room_id"]
    primary_filters = ["project_id", "state", "due_date"]
    detail = [
        "title",
        "contract_id",
        "room_id",
        "tenant_id",
        "kind",
        "fee_name",
        "payer",
        "period_no",
        "period_start",
        "period_end",
        "due_date",
        "amount",
        "late_fee",
        "late_fee_waived",
        "paid",
        "state",
        "confirmed_at",
        "withhold_failure",
        "remark",
    ]
    noun = "账单"
    # The money still to collect leads, the longest overdue first; settled bills follow, latest first.
    default_sort = Sort("due_date", first={"state": UNPAID_BILL_STATES}, then="-due_date")
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = STORE | FIN
    links = [
        Link("收款记录", "payments", "bill_id"),
        Link("金额调整", "adjustments", "bill_id"),
        Link("坏账申请", "bad_debts", "bill_id"),
        Link("代扣记录", "withhold_lines", "bill_id", totals=("amount",)),
    ]
    detail_groups = {
        "基本信息": ["title", "state", "contract_id", "room_id", "tenant_id", "kind", "fee_name", "payer"],
        "账期": ["period_no", "period_start", "period_end", "due_date"],
        "金额": ["amount", "paid", "late_fee", "late_fee_waived"],
        "系统信息": ["confirmed_at", "withhold_failure", "remark"],
    }

    @classmethod
    def timeline(cls, session: Session, p: Principal | None, row: Bill) -> list[Event]:
        lists = [k for k in (timelines.PAYMENTS, timelines.ADJUSTMENTS, timelines.BAD_DEBTS) if can(p, VIEW, k)]
        return timelines.bill_events(session, row, lists)

    actions = [
        Action(
            "confirm",
            "确认账单",
            prepaid.confirm_bills,
            STORE,
            confirm="确认选中的 {n} 张账单并推送给租客？",
            when=DRAFT,
            primary=True,
        ),
        Action(
            "revoke",
            "撤销确认",
            bills.revoke_confirmation,
            STORE,
            danger=True,
            confirm="撤销选中的 {n} 张账单的确认？已有收款的账单不能撤销。",
            when={"state": (BillState.CONFIRMED,)},
        ),
        Action(
            "pay",
            "登记收款",
            bills.register_payments,
            FIN,
            inputs=PAYMENT,
            confirm="为选中的 {n} 张账单登记线下收款。",
            when=OWED,
            primary=True,
        ),
        Action(
            "notice",
            "缴费通知单",
            _payment_notice,
            STORE | FIN,
            confirm="为选中的 {n} 张账单（须为同一租客）打印缴费通知单（PDF），附扫码支付二维码。",
            when=OWED,
        ),
        Action(
            "qr_pay",
            "生成收款码",
            pay_orders.create,
            STORE | FIN,
            confirm="为选中的 {n} 张账单生成收款二维码（须为同一租客），租客扫码支付后自动入账。",
            when=OWED,
        ),
        Action(
            "adjust",
            "调整金额",
            bill_approvals.request_adjustments,
            STORE,
            inputs=ask(BillAdjustment, "amount_after", "reason", amount_after=Input(label="调整后金额(元)")),
            confirm="调整选中的 {n} 张未确认账单的金额：调增立即生效，调减或减免需负责人审批。",
            when=DRAFT,
        ),
        Action(
            "waive_late_fee",
            "免滞纳金",
            bill_approvals.request_late_fee_waivers,
            STORE,
            input_label="减免原因",
            input_required=True,
            confirm="申请免除选中的 {n} 张账单的滞纳金（需负责人审批）？",
            when=OWED,
        ),
        Action(
            "offline_refund",
            "转线下退款",
            bill_approvals.to_offline_refund,
            OWNERS,
            when={"state": (BillState.REFUND_DUE,)},
            primary=True,
        ),
        Action(
            "refund_done",
            "确认退款",
            bill_approvals.confirm_refund,
            FIN,
            when={"state": (BillState.OFFLINE_REFUND,)},
            primary=True,
        ),
        Action(
            "bad_debt",
            "申请坏账",
            bill_approvals.request_bad_debt,
            OWNERS,
            danger=True,
            input_label="申请理由",
            input_required=True,
            confirm="为选中的 {n} 张尾期账单申请坏账？需负责人或多店店长、再由财务审批。",
            when={"state": (*OWED["state"], BillState.REFUND_DUE, BillState.OFFLINE_REFUND)},
        ),
    ]


class RefundAdmin(BillAdmin, model=Bill, key="refunds"):
    only = {"state": (BillState.REFUND_DUE, BillState.OFFLINE_REFUND, BillState.REFUNDED)}
    default_sort = Sort("due_date", first={"state": (BillState.REFUND_DUE, BillState.OFFLINE_REFUND)}, then="-due_date")
    actions = [a for a in BillAdmin.actions if a.name in ("offline_refund", "refund_done")]


class PaymentAdmin(ModelAdmin, model=Payment, key="payments"):
    list_columns = ["bill_id", "amount", "method", "receipt_no", "paid_on", "recorded_by_id", "project_id"]
    search = [
        "receipt_no",
        "bill.title",
        "bill.contract.tenant.name",
        "bill.contract.tenant.phone",
        "recorded_by.display_name",
    ]
    filters = ["project_id", "method", "paid_on", "bill_id", "recorded_by_id", "daily_report_id"]
    noun = "收款"
    scope = Scope.project("project_id")
    can_export = FIN
    actions = [
        Action(
            "print_receipt",
            "打印收据",
            printed(documents.receipt),
            FIN,
            confirm="打印这笔收款的收据（PDF）：首次打印时编号，再次打印为补打副本。",
            primary=True,
        ),
        Action(
            "correct",
            "修改收款",
            payment_corrections.correct,
            FIN,
            inputs=ask(Payment, "method", "receipt_no", "paid_on", receipt_no=Input(required=False)),
            confirm="修改选中的 {n} 笔收款登记（不填的项不变；金额不能修改）。所在交款日报已确认的不能修改。",
            when={"source": (LedgerSource.REGISTRATION,)},
        ),
        Action(
            "void",
            "冲正",
            payment_corrections.void,
            FIN,
            danger=True,
            input_label="冲正原因",
            input_required=True,
            confirm="冲正选中的 {n} 笔收款登记？将记一笔等额负数收款，账单恢复为未收。所在交款日报已确认的不能冲正。",
            when={"source": (LedgerSource.REGISTRATION,)},
        ),
    ]


def _show_qr(ctx: ActionContext[PayOrder]) -> ActionResult:
    """收款码: opens the order's page (its QR code while it waits, its state and bills always)."""
    return ActionResult(done=1, goto=pay_orders.order_page(ctx.rows[0].order_no))


class PayOrderAdmin(ModelAdmin, model=PayOrder, key="pay_orders"):
    list_columns = ["order_no", "tenant_id", "amount", "state", "expire_at", "paid_at", "created_by_id", "created_at"]
    search = ["order_no", "tenant.name", "tenant.phone", "provider_txn_id"]
    filters = ["project_id", "state", "created_at", "tenant_id", "created_by_id"]
    primary_filters = ["project_id", "state", "created_at"]
    noun = "支付订单"
    default_sort = "-created_at"
    scope = Scope.project("project_id")
    can_export = FIN
    actions = [
        Action("show_qr", "收款码", _show_qr, STORE | FIN, primary=True),
        Action(
            "close",
            "关闭订单",
            pay_orders.close,
            STORE | FIN,
            danger=True,
            input_label="关闭原因",
            confirm="关闭选中的 {n} 个待支付订单？关闭后二维码失效，不能再支付。",
            when={"state": (PayOrderState.PENDING,)},
        ),
    ]


class PayCallbackAdmin(ModelAdmin, model=PayCallback, key="pay_callbacks"):
    """Read-only: every callback of the payment provider as it arrived (services/pay_orders.py)."""

    list_columns = ["received_at", "order_no", "provider_txn_id", "amount", "outcome", "exception", "reason"]
    search = ["order_no", "provider_txn_id", "reason"]
    filters = ["outcome", "exception", "received_at", "company_id"]
    primary_filters = ["exception", "outcome", "received_at"]
    noun = "支付回调"
    # Money to give back leads; the rest follows, latest first.
    default_sort = Sort("received_at", first={"exception": (ExceptionState.OPEN,)}, then="-received_at")
    count = Count.CAPPED
    scope = Scope.unit("company_id")
    can_export = FIN
    actions = [
        Action(
            "refunded",
            "已退款",
            pay_orders.mark_refunded,
            FIN,
            input_label="退款说明（退款流水号等）",
            input_required=True,
            confirm="确认已将选中的 {n} 笔逾期到账款项退还租客？",
            when={"exception": (ExceptionState.OPEN,)},
            primary=True,
        )
    ]


class ClearingAdmin(ModelAdmin, model=Clearing, key="clearings"):
    """Read-only: each day as the 15:00 clearing found it (services/clearing.py)."""

    list_columns = [
        "day",
        "state",
        "provider_count",
        "provider_total",
        "ledger_count",
        "ledger_total",
        "differences",
        "open_differences",
        "run_at",
    ]
    filters = ["day", "state", "company_id"]
    noun = "对账日"
    default_sort = "-day"
    scope = Scope.unit("company_id")
    can_export = FIN
    links = [Link("差异明细", "clearing_diffs", "clearing_id", totals=())]


class ClearingDifferenceAdmin(ModelAdmin, model=ClearingDifference, key="clearing_diffs"):
    list_columns = [
        "day",
        "kind",
        "txn_id",
        "order_no",
        "provider_amount",
        "ledger_amount",
        "note",
        "state",
        "resolution",
    ]
    search = ["txn_id", "order_no", "note", "resolution"]
    filters = ["state", "kind", "day", "clearing_id"]
    noun = "对账差异"
    default_sort = Sort("day", first={"state": (DifferenceState.OPEN,)}, then="-day")
    scope = Scope.unit("company_id")
    can_export = FIN
    actions = [
        Action(
            "resolve",
            "处理差异",
            clearing.resolve,
            FIN,
            input_label="处理说明（补登、退款、渠道更正等）",
            input_required=True,
            confirm="处理选中的 {n} 条对账差异：处理说明记入操作日志。",
            when={"state": (DifferenceState.OPEN,)},
            primary=True,
        )
    ]


class BalanceEntryAdmin(ModelAdmin, model=BalanceEntry, key="balances"):
    """预收款: each movement of a tenant's prepaid balance; 新增 is finance's 登记预收 (services/prepaid.py)."""

    list_columns = [
        "tenant_id",
        "kind",
        "amount",
        "source_ref",
        "contract_id",
        "recorded_by_id",
        "process",
        "created_at",
    ]
    search = ["tenant.name", "tenant.phone", "source_ref"]
    filters = ["kind", "created_at", "tenant_id", "contract_id", "company_id"]
    primary_filters = ["kind", "created_at", "tenant_id"]
    form = ["tenant_id", "amount", "source_ref"]
    fields_override = {
        "amount": Input(label="预收金额(元)", help="租客预存的款项，登记后自动冲抵其已确认未缴的账单"),
        "source_ref": Input(label="收款凭证号", help="银行流水号或收据号"),
    }
    noun = "预收"
    default_sort = "-created_at"
    scope = Scope.unit("company_id")
    can_create = FIN
    can_export = FIN

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: BalanceEntry | None) -> Errors:
        return prepaid.prepayment_problems(values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: BalanceEntry | None) -> str:
        tenant = session.get(Tenant, values.get("tenant_id") or 0)
        values.update(kind=BalanceKind.PREPAID, recorded_by_id=p.actor_id)
        if tenant is not None:
            values["company_id"] = tenant.company_id
        return "已登记预收，并自动冲抵该租客已确认未缴的账单"

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: BalanceEntry) -> None:
        prepaid.on_prepaid(session, p.actor_id, row)


class DepositRefundAdmin(ModelAdmin, model=Reservation, key="deposit_refunds"):
    """定金退还: the deposits of cancelled reservations that go back to the tenant (services/leasing.py)."""

    only = {"deposit_state": (DepositState.REFUND_DUE, DepositState.REFUNDED)}
    list_columns = ["tenant_id", "room_id", "deposit", "deposit_state", "deposit_reason", "deposit_by_id", "created_at"]
    search = ["tenant.name", "tenant.phone", "room.number"]
    filters = ["project_id", "deposit_state", "created_at"]
    noun = "定金退还"
    default_sort = Sort("created_at", first={"deposit_state": (DepositState.REFUND_DUE,)}, then="-created_at")
    scope = Scope.project("project_id")
    can_export = FIN
    actions = [
        Action(
            "refunded",
            "确认已退还",
            leasing.deposits_refunded,
            FIN,
            input_label="退款说明（退款流水号等）",
            confirm="确认选中的 {n} 笔定金已退还租客？",
            when={"deposit_state": (DepositState.REFUND_DUE,)},
            primary=True,
        )
    ]


class BadDebtAdmin(ModelAdmin, model=BadDebt, key="bad_debts"):
    list_columns = [
        "bill_id",
        "amount",
        "reason",
        "state",
        "requested_by_id",
        "level1_by_id",
        "level2_by_id",
        "created_at",
    ]
    search = ["reason"]
    filters = ["state", "project_id", "bill_id", "requested_by_id"]
    noun = "坏账申请"
    default_sort = AWAITING
    scope = Scope.project("project_id")
    can_export = APPROVERS
    actions = approve_reject(
        bill_approvals.decide_bad_debt,
        APPROVERS,
        verb="审批",
        when={"state": (ApprovalState.LEVEL1, ApprovalState.LEVEL2)},
    )


class AdjustmentAdmin(ModelAdmin, model=BillAdjustment, key="adjustments"):
    list_columns = [
        "bill_id",
        "kind",
        "amount_before",
        "amount_after",
        "reason",
        "state",
        "requested_by_id",
        "decided_by_id",
        "created_at",
    ]
    search = ["reason"]
    filters = ["state", "kind", "project_id", "bill_id", "requested_by_id"]
    default_sort = Sort("created_at", first={"state": (AdjustmentState.PENDING,)}, then="-id")
    scope = Scope.project("project_id")
    can_export = STORE
    actions = approve_reject(
        bill_approvals.decide_adjustments,
        bill_approvals.ADJUST_APPROVERS,
        verb="审批",
        when={"state": (AdjustmentState.PENDING,)},
    )
