"""Online payment (二维码支付): a company's merchant settings, payment orders, every provider callback as
it arrived, and tenants' prepaid balances (预收)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow


class PaySettings(SQLModel, table=True):
    """支付参数 (龙支付参数) of one company. The signing key is kept encrypted (clss_app/core/secrets.py);
    only its fingerprint is ever shown again."""

    __tablename__ = "pay_settings"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", unique=True, title="企业")
    merchant_no: str = Field(max_length=15, unique=True, title="商户号")
    terminal_no: str = Field(max_length=8, title="终端号")
    key_cipher: str = Field(default="", max_length=400, title="签名密钥（密文）")
    key_fingerprint: str = Field(default="", max_length=16, title="密钥指纹")
    key_set_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="密钥设置时间")
    expire_minutes: int = Field(default=30, ge=5, le=1440, title="二维码有效期(分钟)")
    enabled: bool = Field(default=True, title="启用")
    version: int = Field(default=1, title="版本")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="更新时间")


class PayOrderState(LabeledEnum):
    PENDING = ("pending", "待支付")
    PAID = ("paid", "已支付")
    EXPIRED = ("expired", "已过期")
    CLOSED = ("closed", "已关闭")


class PayOrder(SQLModel, table=True):
    """One payment order at the provider: a tenant's bills, paid in one scan."""

    __tablename__ = "pay_order"
    __table_args__ = (
        # A provider's transaction pays one order, whatever arrives twice (domain: money decisions).
        sa.UniqueConstraint("provider", "provider_txn_id", name="uq_pay_order_provider_txn"),
        sa.Index("ix_pay_order_state_expire", "state", "expire_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_no: str = Field(max_length=32, unique=True, title="订单号")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    amount: Decimal = money("订单金额(元)")
    state: PayOrderState = Field(
        default=PayOrderState.PENDING, sa_column=enum_column(PayOrderState, nullable=False), title="订单状态"
    )
    expire_at: datetime = Field(sa_type=UTCDateTime, title="失效时间")
    qr_content: str = Field(default="", max_length=255, title="二维码内容")
    provider: str = Field(default="ccb", max_length=16, title="支付渠道")
    provider_txn_id: str | None = Field(default=None, max_length=64, title="渠道流水号")
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="支付时间")
    close_reason: str = Field(default="", max_length=255, title="关闭原因")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class PayOrderBill(SQLModel, table=True):
    """A bill an order pays, with what it owed when the order was made."""

    __tablename__ = "pay_order_bill"

    order_id: int = Field(foreign_key="pay_order.id", primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", primary_key=True, index=True)
    amount: Decimal = money("应付金额(元)")


class CallbackOutcome(LabeledEnum):
    POSTED = ("posted", "已入账")
    DUPLICATE = ("duplicate", "重复通知")
    LATE = ("late", "逾期到账")  # the order had expired or was closed: the money waits for a refund
    REFUSED = ("refused", "已拒绝")  # bad signature, unknown order, amount or merchant mismatch


class ExceptionState(LabeledEnum):
    NONE = ("none", "无需处理")
    OPEN = ("open", "待退款")
    REFUNDED = ("refunded", "已退款")


class PayCallback(SQLModel, table=True):
    """Every callback the provider sent, stored for good, with what was made of it."""

    __tablename__ = "pay_callback"
    __table_args__ = (sa.Index("ix_pay_callback_exception", "exception", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="接收时间")
    provider: str = Field(default="ccb", max_length=16, title="支付渠道")
    merchant_no: str = Field(default="", max_length=32, title="商户号")
    order_no: str = Field(default="", max_length=64, index=True, title="订单号")
    provider_txn_id: str = Field(default="", max_length=64, title="渠道流水号")
    amount: Decimal | None = money("金额(元)", default=None)
    company_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True, title="企业")
    outcome: CallbackOutcome = Field(sa_column=enum_column(CallbackOutcome, nullable=False), title="处理结果")
    reason: str = Field(default="", max_length=255, title="说明")
    exception: ExceptionState = Field(
        default=ExceptionState.NONE, sa_column=enum_column(ExceptionState, nullable=False), title="异常处理"
    )
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="处理人")
    body: str = Field(default="", sa_type=sa.Text, title="通知原文")
    version: int = Field(default=1, title="版本")


class BalanceKind(LabeledEnum):
    OVERPAID = ("overpaid", "多付转入")
    PREPAID = ("prepaid", "预存")
    OFFSET = ("offset", "冲抵账单")
    REFUND = ("refund", "退款")


class BalanceEntry(SQLModel, table=True):
    """预收: one movement of a tenant's prepaid balance; the balance is their sum."""

    __tablename__ = "balance_entry"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", title="合同")
    kind: BalanceKind = Field(sa_column=enum_column(BalanceKind, nullable=False), title="类型")
    amount: Decimal = money("金额(元，正数转入)")
    source_ref: str = Field(default="", max_length=64, title="来源单号")
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    process: str = Field(default="", max_length=32, title="处理程序")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="时间")


class ClearingState(LabeledEnum):
    MATCHED = ("matched", "已平")
    DIFFERENT = ("different", "有差异")
    RESOLVED = ("resolved", "差异已处理")


class Clearing(SQLModel, table=True):
    """对账: one company's day with the provider, cleared at 15:00 the next day (Asia/Shanghai)."""

    __tablename__ = "clearing"
    __table_args__ = (sa.UniqueConstraint("company_id", "provider", "day", name="uq_clearing_company_day"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    provider: str = Field(default="ccb", max_length=16, title="支付渠道")
    day: date = Field(title="交易日期")
    state: ClearingState = Field(sa_column=enum_column(ClearingState, nullable=False), title="对账结果")
    provider_count: int = Field(default=0, title="渠道笔数")
    provider_total: Decimal = money("渠道金额(元)", default=Decimal("0.00"))
    ledger_count: int = Field(default=0, title="系统笔数")
    ledger_total: Decimal = money("系统金额(元)", default=Decimal("0.00"))
    differences: int = Field(default=0, title="差异笔数")
    open_differences: int = Field(default=0, title="待处理差异")
    run_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="对账时间")
    version: int = Field(default=1, title="版本")


class DifferenceKind(LabeledEnum):
    PROVIDER_ONLY = ("provider_only", "提供方有我方无")
    LEDGER_ONLY = ("ledger_only", "我方有提供方无")
    AMOUNT = ("amount", "金额不符")


class DifferenceState(LabeledEnum):
    OPEN = ("open", "待处理")
    RESOLVED = ("resolved", "已处理")


class ClearingDifference(SQLModel, table=True):
    """对账差异: one line the provider's statement and the ledger disagree on, for finance to resolve."""

    __tablename__ = "clearing_difference"
    __table_args__ = (sa.Index("ix_clearing_difference_state", "company_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    clearing_id: int = Field(foreign_key="clearing.id", index=True, title="对账日")
    company_id: int = Field(foreign_key="org_unit.id", title="企业")
    day: date = Field(title="交易日期")
    kind: DifferenceKind = Field(sa_column=enum_column(DifferenceKind, nullable=False), title="差异类型")
    txn_id: str = Field(default="", max_length=64, title="渠道流水号")
    order_no: str = Field(default="", max_length=64, title="订单号")
    provider_amount: Decimal | None = money("渠道金额(元)", default=None)
    ledger_amount: Decimal | None = money("系统金额(元)", default=None)
    note: str = Field(default="", max_length=255, title="说明")
    state: DifferenceState = Field(
        default=DifferenceState.OPEN, sa_column=enum_column(DifferenceState, nullable=False), title="处理状态"
    )
    resolution: str = Field(default="", max_length=255, title="处理说明")
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="处理人")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="处理时间")
    version: int = Field(default=1, title="版本")


class ReceiptCounter(SQLModel, table=True):
    """The last 收据 number a company gave: receipts are numbered per company without gaps."""

    __tablename__ = "receipt_counter"

    company_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    last_number: int = Field(default=0, title="最后编号")


class Receipt(SQLModel, table=True):
    """收据: the receipt of one payment, numbered at its first print; later prints are copies (补打)."""

    __tablename__ = "receipt"
    __table_args__ = (sa.UniqueConstraint("company_id", "number", name="uq_receipt_company_number"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", title="企业")
    number: int = Field(title="序号")
    code: str = Field(max_length=24, unique=True, title="收据编号")
    payment_id: int = Field(foreign_key="payment.id", unique=True, title="收款记录")
    amount: Decimal = money("金额(元)")
    printed_count: int = Field(default=1, title="打印次数")
    printed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="开具人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="开具时间")
