"""租务 and 账单: tenants, appointments, reservations, contracts, check-ins and -outs, bills, payments, bad debts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import (
    ApprovalColumns,
    LabeledEnum,
    UTCDateTime,
    enum_column,
    money,
    partial_index,
    shanghai_today,
    utcnow,
)


class AppointmentState(LabeledEnum):
    PENDING = ("pending", "待看房")
    VISITED = ("visited", "已看房")
    CANCELLED = ("cancelled", "已取消")
    CONVERTED = ("converted", "已转预定")


class ReservationState(LabeledEnum):
    ACTIVE = ("active", "预定中")
    CONVERTED = ("converted", "已转签约")
    CANCELLED = ("cancelled", "已取消")
    EXPIRED = ("expired", "已过期")


class DepositState(LabeledEnum):
    """What became of a reservation's 定金 (it is not on the bill ledger until a contract takes it)."""

    HELD = ("held", "已收定金")
    APPLIED = ("applied", "已抵扣")
    REFUND_DUE = ("refund_due", "待退还")
    REFUNDED = ("refunded", "已退还")
    FORFEITED = ("forfeited", "已没收")


class DepositDecision(LabeledEnum):
    REFUND = ("refund", "退还定金")
    FORFEIT = ("forfeit", "没收定金")


class ContractState(LabeledEnum):
    # 在线签约: drafted by the store for the tenant, who confirms it in the APP; then 待审核 (在线签约审核).
    AWAITING_TENANT = ("awaiting_tenant", "待租客确认")
    PENDING_REVIEW = ("pending_review", "待审核")
    SIGNED = ("signed", "待执行")
    ACTIVE = ("active", "执行中")
    EXPIRED = ("expired", "已到期")
    CHECKED_OUT = ("checked_out", "已退房")
    CLOSED = ("closed", "已关闭")
    VOID = ("void", "已作废")


# 在线签约 not yet signed: the tenant's confirmation awaited, then the store's review. No bills, the room untouched.
UNSIGNED_CONTRACT_STATES = (ContractState.AWAITING_TENANT, ContractState.PENDING_REVIEW)


class FilingState(LabeledEnum):
    """政府备案 of a contract with the city's 监管平台: 否, 备案中 (sent, no answer yet: retryable), 是."""

    NONE = ("none", "否")
    FILING = ("filing", "备案中")
    FILED = ("filed", "是")


class PayCycle(LabeledEnum):
    MONTHLY = ("1", "按月")
    QUARTERLY = ("3", "按季")
    HALF_YEARLY = ("6", "按半年")
    YEARLY = ("12", "按年")
    ONCE = ("0", "一次性")

    @property
    def months(self) -> int:
        return int(self.value)


class BillMode(LabeledEnum):
    SAME_DAY = ("same_day", "对日")
    MONTH_START = ("month_start", "月初")


class ContractSource(LabeledEnum):
    BACK_OFFICE = ("back_office", "后台录入")
    RESERVATION = ("reservation", "预定转签约")
    ONLINE = ("online", "在线签约")
    RENEWAL = ("renewal", "续租")
    ROOM_CHANGE = ("room_change", "换房")
    SUBLET = ("sublet", "转租")
    MASTER_LEASE = ("master_lease", "企业包租")
    IMPORT = ("import", "合同导入")


class Payer(LabeledEnum):
    TENANT = ("tenant", "租客")
    COMPANY = ("company", "企业")


class AdjustmentKind(LabeledEnum):
    INCREASE = ("increase", "增加金额")
    DECREASE = ("decrease", "减少金额")
    WAIVE = ("waive", "减免")
    WAIVE_LATE_FEE = ("waive_late_fee", "免滞纳金")


class AdjustmentState(LabeledEnum):
    PENDING = ("pending", "待审批")
    APPLIED = ("applied", "已生效")
    REJECTED = ("rejected", "已驳回")


class BillKind(LabeledEnum):
    RENT = ("rent", "租金")
    DEPOSIT = ("deposit", "押金")
    PERIODIC = ("periodic", "周期费用")
    ONE_OFF = ("one_off", "一次性费用")
    METERED = ("metered", "走表费用")
    LATE_FEE = ("late_fee", "滞纳金")
    SETTLEMENT = ("settlement", "退房结算")
    EXTRA = ("extra", "非合同费用")


class BillState(LabeledEnum):
    UNCONFIRMED = ("unconfirmed", "未确认")
    CONFIRMED = ("confirmed", "已确认")
    PARTLY_PAID = ("partly_paid", "部分收款")
    PAID = ("paid", "已收款")
    REFUND_DUE = ("refund_due", "待退款")
    OFFLINE_REFUND = ("offline_refund", "线下退款")
    REFUNDED = ("refunded", "已退款")
    BAD_DEBT = ("bad_debt", "坏账")
    REVOKED = ("revoked", "已撤销")


# Bills still to be paid: 账单管理 lists them first, by due date (pages/finance.py).
UNPAID_BILL_STATES = (BillState.UNCONFIRMED, BillState.CONFIRMED, BillState.PARTLY_PAID)
_UNPAID_SQL = f"state IN ({', '.join(repr(s.value) for s in UNPAID_BILL_STATES)})"


class PaymentMethod(LabeledEnum):
    TRANSFER = ("transfer", "银行转账")
    CASH = ("cash", "现金")
    POS = ("pos", "POS刷卡")
    WECHAT = ("wechat", "微信支付")
    RESERVATION_DEPOSIT = ("reservation_deposit", "定金抵扣")
    CARRY_OVER = ("carry_over", "结转")
    QR = ("qr", "扫码支付")
    PREPAID = ("prepaid", "预收冲抵")
    WITHHOLDING = ("withholding", "银行代扣")
    LOAN = ("loan", "按居贷")
    COUPON = ("coupon", "优惠券抵扣")


class LedgerSource(LabeledEnum):
    """Where a ledger line (a payment row) came from: the domain's "type, source, person or process"."""

    REGISTRATION = ("registration", "收款登记")
    PAY_ORDER = ("pay_order", "二维码支付")
    WITHHOLDING = ("withholding", "批量代扣")
    LOAN = ("loan", "按居贷")
    BALANCE = ("balance", "预收冲抵")
    CARRY_OVER = ("carry_over", "结转")
    DEPOSIT = ("deposit", "定金抵扣")
    REFUND = ("refund", "退款")
    COUPON = ("coupon", "优惠券")


class ApprovalState(LabeledEnum):
    LEVEL1 = ("level1", "待负责人审批")
    LEVEL2 = ("level2", "待财务审批")
    APPROVED = ("approved", "已通过")
    REJECTED = ("rejected", "已驳回")


class Tenant(SQLModel, table=True):
    __tablename__ = "tenant"
    __table_args__ = (sa.UniqueConstraint("company_id", "phone", name="uq_tenant_company_phone"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, title="手机号")
    id_number: str = Field(default="", max_length=18, title="身份证号")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")
    version: int = Field(default=1, title="版本")


class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    # 经营看板 counts them by project and day from this index alone; it serves lookups by project too (0020).
    __table_args__ = (sa.Index("ix_appointment_project_day", "project_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", title="项目")
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, index=True, title="手机号")  # the tenant API's 我的预约
    visit_at: datetime = Field(sa_type=UTCDateTime, title="看房时间")
    room_id: int | None = Field(default=None, foreign_key="room.id", title="意向房间")
    note: str = Field(default="", max_length=255, title="备注")
    state: AppointmentState = Field(
        default=AppointmentState.PENDING, sa_column=enum_column(AppointmentState, nullable=False), title="状态"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")
    version: int = Field(default=1, title="版本")


class Reservation(SQLModel, table=True):
    __tablename__ = "reservation"
    # 经营看板 counts them by project and day from this index alone; it serves lookups by project too (0020).
    __table_args__ = (sa.Index("ix_reservation_project_day", "project_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    deposit: Decimal = money("定金(元)")
    hold_until: date = Field(title="保留至")
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", title="预约")
    state: ReservationState = Field(
        default=ReservationState.ACTIVE, sa_column=enum_column(ReservationState, nullable=False), title="状态"
    )
    note: str = Field(default="", max_length=255, title="备注")
    deposit_state: DepositState = Field(
        default=DepositState.HELD,
        sa_column=enum_column(DepositState, nullable=False, server_default="held"),
        title="定金状态",
    )
    deposit_reason: str = Field(default="", max_length=255, title="定金处理原因")
    deposit_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="定金处理人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="预定时间")
    version: int = Field(default=1, title="版本")


class Contract(SQLModel, table=True):
    __tablename__ = "contract"
    __table_args__ = (
        # By project and state; 经营看板's signings and check-outs are read from these indexes alone (0020).
        sa.Index("ix_contract_project_signings", "project_id", "state", "source", "signed_on"),
        sa.Index("ix_contract_project_check_outs", "project_id", "checked_out_on"),
        sa.Index("ix_contract_room_state", "room_id", "state"),
        sa.Index("ix_contract_state_end", "state", "end_date"),  # 合同列表 and 退房办理: 执行中 by end date
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, title="合同编号")
    project_id: int = Field(foreign_key="project.id", title="项目")
    room_id: int = Field(foreign_key="room.id", title="房间")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    co_tenants: str = Field(default="", max_length=100, title="同住人")
    start_date: date = Field(title="起租日")
    end_date: date = Field(title="到期日")
    monthly_rent: Decimal = money("月租金(元)")
    deposit: Decimal = money("押金(元)")
    cycle: PayCycle = Field(default=PayCycle.MONTHLY, sa_column=enum_column(PayCycle, nullable=False), title="缴费周期")
    bill_mode: BillMode = Field(
        default=BillMode.SAME_DAY, sa_column=enum_column(BillMode, nullable=False), title="账单日"
    )
    source: ContractSource = Field(
        default=ContractSource.BACK_OFFICE, sa_column=enum_column(ContractSource, nullable=False), title="签约方式"
    )
    reservation_id: int | None = Field(default=None, foreign_key="reservation.id", title="预定单")
    previous_id: int | None = Field(default=None, foreign_key="contract.id", title="原合同")  # 续租/换房/转租
    master_lease_id: int | None = Field(default=None, foreign_key="master_lease.id", index=True, title="企业包租合同")
    state: ContractState = Field(
        default=ContractState.SIGNED, sa_column=enum_column(ContractState, nullable=False), title="合同状态"
    )
    signed_on: date = Field(default_factory=shanghai_today, title="签约日期")
    checked_in_on: date | None = Field(default=None, title="入住日期")
    checked_out_on: date | None = Field(default=None, title="退房日期")
    power_in: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="入住电表读数")
    water_in: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="入住水表读数")
    power_out: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="退房电表读数")
    water_out: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="退房水表读数")
    settlement: Decimal | None = money("退房结算(元，负数为应退)", default=None)
    void_reason: str = Field(default="", max_length=255, title="作废原因")
    # 网签备案 with the city's 监管平台 (services/filing.py); the note says why the last attempt failed.
    filing_state: FilingState = Field(
        default=FilingState.NONE,
        sa_column=enum_column(FilingState, nullable=False, server_default="none"),
        title="政府备案",
    )
    filing_no: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""}, title="备案编号")
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="备案时间")
    filing_note: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""}, title="备案说明")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="录入时间")
    version: int = Field(default=1, title="版本")


class MasterLease(SQLModel, table=True):
    """企业包租: a company rents one or many rooms; it pays some fees, its employees pay the others."""

    __tablename__ = "master_lease"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, title="包租合同编号")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    company_name: str = Field(max_length=64, title="承租企业")
    contact_name: str = Field(max_length=32, title="企业联系人")
    contact_phone: str = Field(max_length=11, title="联系电话")
    start_date: date = Field(title="起租日")
    end_date: date = Field(title="到期日")
    cycle: PayCycle = Field(default=PayCycle.MONTHLY, sa_column=enum_column(PayCycle, nullable=False), title="缴费周期")
    bill_mode: BillMode = Field(
        default=BillMode.SAME_DAY, sa_column=enum_column(BillMode, nullable=False), title="账单日"
    )
    company_pays_rent: bool = Field(default=True, title="租金由企业缴纳")
    company_pays_deposit: bool = Field(default=True, title="押金由企业缴纳")
    company_pays_fees: bool = Field(default=False, title="物业等费用由企业缴纳")
    company_pays_utilities: bool = Field(default=False, title="水电费由企业缴纳")
    contract_file: str = Field(default="", max_length=64, title="线下合同扫描件")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="录入时间")
    version: int = Field(default=1, title="版本")


class MasterLeaseRoom(SQLModel, table=True):
    __tablename__ = "master_lease_room"

    master_lease_id: int = Field(foreign_key="master_lease.id", primary_key=True)
    room_id: int = Field(foreign_key="room.id", primary_key=True)


class Bill(SQLModel, table=True):
    """One amount a tenant owes (or is owed) for one fee and one period of one contract."""

    __tablename__ = "bill"
    __table_args__ = (
        # Regenerating a schedule can never duplicate a bill.
        sa.UniqueConstraint("contract_id", "fee_key", "period_no", name="uq_bill_contract_fee_period"),
        sa.Index("ix_bill_project_state_due", "project_id", "state", "due_date"),
        # The state rides along so that 账单管理's unpaid-first order (pages/finance.py) reads no table row
        # to tell a paid bill from an unpaid one while it walks the dates; it serves a plain date order too.
        sa.Index("ix_bill_due_state", "due_date", "state"),
        # 经营看板's sums by project, due day and state read this index alone (migration 0020).
        sa.Index("ix_bill_project_due_sums", "project_id", "due_date", "state", "amount", "late_fee", "paid"),
        # 账单管理's two runs (unpaid by due date, then the rest newest first), each an index in its order:
        # over many projects the (due_date, state) index walked a million settled bills to find 50 unpaid
        # ones (1.3 s at the scale-70 demo). The engine states the run's condition in constants to match.
        sa.Index(
            "ix_bill_unpaid_due",
            "due_date",
            "id",
            postgresql_where=sa.text(_UNPAID_SQL),
            sqlite_where=sa.text(_UNPAID_SQL),
        ),
        sa.Index(
            "ix_bill_settled_due",
            "due_date",
            "id",
            postgresql_where=sa.text(f"NOT {_UNPAID_SQL}"),
            sqlite_where=sa.text(f"NOT {_UNPAID_SQL}"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", title="合同")
    project_id: int = Field(foreign_key="project.id", title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    # No index of its own: a tenant's bills are found through their contracts, and every index costs
    # the bulk generation of schedules (about a tenth of the time of writing a year of bills).
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")  # the tenant API's 我的账单
    kind: BillKind = Field(sa_column=enum_column(BillKind, nullable=False), title="账单类型")
    fee_key: str = Field(max_length=24, title="费项编码")  # "rent", "deposit", "fee:12", …
    fee_name: str = Field(max_length=32, title="费项")
    title: str = Field(max_length=64, title="账单")  # "A-0101 租金 第3期": how pickers and messages name it
    period_no: int = Field(default=1, title="期数")
    period_start: date = Field(title="账期开始")
    period_end: date = Field(title="账期结束")
    due_date: date = Field(title="应收日期")
    amount: Decimal = money("应收金额(元)")
    paid: Decimal = money("已收金额(元)", default=Decimal("0.00"))
    late_fee: Decimal = money("滞纳金(元)", default=Decimal("0.00"))
    late_fee_waived: bool = Field(default=False, title="已免滞纳金")
    payer: Payer = Field(
        default=Payer.TENANT, sa_column=enum_column(Payer, nullable=False, server_default="tenant"), title="付款方"
    )
    state: BillState = Field(
        default=BillState.UNCONFIRMED, sa_column=enum_column(BillState, nullable=False), title="账单状态"
    )
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="确认时间")
    remark: str = Field(default="", max_length=255, title="备注")
    # The last withholding failure (余额不足（WH…）) until a withholding succeeds: what the store calls about.
    withhold_failure: str = Field(
        default="", max_length=64, sa_column_kwargs={"server_default": ""}, title="代扣失败原因"
    )
    version: int = Field(default=1, title="版本")


class Payment(SQLModel, table=True):
    """A line of the bill ledger: money received against one bill (or, negative, given back). Per bill the
    lines add up to the bill's paid amount (services/ledger.py checks it)."""

    __tablename__ = "payment"
    __table_args__ = (
        # 经营看板's sums by project and day read this index alone; it serves lookups by project too (0020).
        sa.Index("ix_payment_project_day", "project_id", "paid_on", "amount"),
        # A withholding line (its run and line number) is posted once, whatever reads its result twice.
        partial_index("uq_payment_withholding_ref", "source_ref", where="source = 'withholding'", unique=True),
        # A bank's 按居贷 loan pays its bill once (its loan number), whatever answers twice.
        partial_index("uq_payment_loan_ref", "source_ref", where="source = 'loan'", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True, title="账单")
    project_id: int = Field(foreign_key="project.id", title="项目")
    amount: Decimal = money("收款金额(元)")
    method: PaymentMethod = Field(
        default=PaymentMethod.TRANSFER, sa_column=enum_column(PaymentMethod, nullable=False), title="收款方式"
    )
    receipt_no: str = Field(default="", max_length=32, title="收款凭证号")
    paid_on: date = Field(default_factory=shanghai_today, title="收款日期")
    source: LedgerSource = Field(
        default=LedgerSource.REGISTRATION,
        sa_column=enum_column(LedgerSource, nullable=False, server_default="registration"),
        title="来源",
    )
    source_ref: str = Field(default="", max_length=64, title="来源单号")  # an order number, a run's line
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="登记人")
    process: str = Field(default="", max_length=32, title="处理程序")  # when no person did it: 支付回调, …
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")
    # The 交款日报 that counts this registration; once it is confirmed the line can no longer change.
    daily_report_id: int | None = Field(default=None, foreign_key="daily_report.id", index=True, title="交款日报")


class BadDebt(ApprovalColumns, table=True):
    """坏账 application on a final bill: 负责人/多店店长 approve first, then 财务."""

    __tablename__ = "bad_debt"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True, title="账单")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    amount: Decimal = money("金额(元)")
    reason: str = Field(max_length=255, title="申请理由")
    state: ApprovalState = Field(
        default=ApprovalState.LEVEL1, sa_column=enum_column(ApprovalState, nullable=False), title="审批状态"
    )
    level1_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="一级审批人")
    level2_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="财务审批人")


class BillAdjustment(ApprovalColumns, table=True):
    """账单调整 before confirmation: an increase applies at once, a decrease or waiver after a principal approves."""

    __tablename__ = "bill_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True, title="账单")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    kind: AdjustmentKind = Field(sa_column=enum_column(AdjustmentKind, nullable=False), title="调整类型")
    amount_before: Decimal = money("原金额(元)")
    amount_after: Decimal = money("调整后金额(元)")
    reason: str = Field(max_length=255, title="调整原因")
    state: AdjustmentState = Field(
        default=AdjustmentState.PENDING, sa_column=enum_column(AdjustmentState, nullable=False), title="状态"
    )
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="审批人")


class MeterReading(SQLModel, table=True):
    """抄表: a reading of a contract's meters; the usage since the previous one is billed."""

    __tablename__ = "meter_reading"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True, title="合同")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    read_on: date = Field(title="抄表日期")
    power: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="电表读数")
    water: Decimal | None = Field(default=None, max_digits=12, decimal_places=2, title="水表读数")
    bill_id: int | None = Field(default=None, foreign_key="bill.id", title="水电账单")
    read_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="抄表人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")
