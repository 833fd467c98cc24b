"""银行批量代扣: tenants' withholding agreements (代扣协议), the runs sent to the bank and their lines.

A bill is in at most one unfinished line (a partial unique index on the line's bill while it waits):
a bill in an open or sent run cannot join another. A line's bank transaction is unique per bank, and a
line leaves 待扣款 once (a conditional update): a result file read twice charges nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, partial_index, utcnow


class AgreementState(LabeledEnum):
    ACTIVE = ("active", "生效")
    TERMINATED = ("terminated", "已解约")


class SignMode(LabeledEnum):
    SINGLE = ("single", "单笔签约")
    BATCH = ("batch", "批量签约(企业代签)")


class WithholdAgreement(SQLModel, table=True):
    """代扣协议: a tenant lets the bank debit their card for the company's bills."""

    __tablename__ = "withhold_agreement"
    __table_args__ = (
        # One agreement in force per tenant and company; terminated ones stay for the record.
        partial_index("uq_withhold_agreement_active", "company_id", "tenant_id", where="state = 'active'", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    # 16–19 digits once stored; room for the groups of four people type (6222 0212 …), taken out on save.
    card_no: str = Field(max_length=24, title="银行卡号")
    holder_name: str = Field(max_length=32, title="持卡人姓名")
    bank_name: str = Field(max_length=32, title="开户银行")
    state: AgreementState = Field(
        default=AgreementState.ACTIVE, sa_column=enum_column(AgreementState, nullable=False), title="协议状态"
    )
    sign_mode: SignMode = Field(
        default=SignMode.SINGLE, sa_column=enum_column(SignMode, nullable=False), title="签约方式"
    )
    signed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="签约时间")
    ended_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="解约经办人")
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="解约时间")
    end_reason: str = Field(default="", max_length=255, title="解约原因")
    version: int = Field(default=1, title="版本")


class RunState(LabeledEnum):
    GENERATED = ("generated", "已生成")
    SENT = ("sent", "已发送")
    RETURNED = ("returned", "已回盘")
    CANCELLED = ("cancelled", "已作废")


class RunOrigin(LabeledEnum):
    """How a run began: a kind, shown as plain text (no word of a state's colour in its labels)."""

    MANUAL = ("manual", "手工生成")
    SCHEDULED = ("scheduled", "按代扣开始日")
    RESEND = ("resend", "重新发送")


class WithholdRun(SQLModel, table=True):
    """代扣批次: one request file to the bank for one company (one project, or all of them), and its result."""

    __tablename__ = "withhold_run"
    __table_args__ = (
        # The daily job starts a project's run of a day once, whichever worker gets there first.
        partial_index("uq_withhold_run_scheduled", "project_id", "day", where="origin = 'scheduled'", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, title="批次号")  # the bank keys the run by it
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int | None = Field(default=None, foreign_key="project.id", title="项目")
    day: date = Field(title="代扣日期")
    origin: RunOrigin = Field(
        default=RunOrigin.MANUAL, sa_column=enum_column(RunOrigin, nullable=False), title="发起方式"
    )
    state: RunState = Field(default=RunState.GENERATED, sa_column=enum_column(RunState, nullable=False), title="状态")
    parent_id: int | None = Field(default=None, foreign_key="withhold_run.id", index=True, title="原批次")
    entrust_no: str = Field(default="", max_length=9, title="委托项目编号")
    collect_account: str = Field(default="", max_length=32, title="代收账号")
    line_count: int = Field(default=0, title="笔数")
    amount_total: Decimal = money("金额(元)", default=Decimal("0.00"))
    succeeded_count: int = Field(default=0, title="成功笔数")
    succeeded_amount: Decimal = money("成功金额(元)", default=Decimal("0.00"))
    failed_count: int = Field(default=0, title="失败笔数")
    failed_amount: Decimal = money("失败金额(元)", default=Decimal("0.00"))
    # Returned with failed lines no later run has taken yet: 重新发送失败 applies (once: it clears it).
    to_resend: bool = Field(default=False, title="待重发")
    request_file: str = Field(default="", max_length=255, title="请求文件")
    request_sha256: str = Field(default="", max_length=64, title="请求文件校验值")
    result_file: str = Field(default="", max_length=255, title="回盘文件")
    bank_batch_no: str = Field(default="", max_length=32, title="银行受理号")
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="发送时间")
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="回盘时间")
    note: str = Field(default="", max_length=255, title="说明")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="生成时间")
    version: int = Field(default=1, title="版本")


class LineState(LabeledEnum):
    PENDING = ("pending", "待扣款")
    SUCCEEDED = ("succeeded", "扣款成功")
    FAILED = ("failed", "扣款失败")
    CANCELLED = ("cancelled", "已作废")


class FailReason(LabeledEnum):
    """Why the bank did not debit a line (its result file's code, services/bank_gateway.py)."""

    INSUFFICIENT = ("insufficient", "余额不足")
    CARD_ABNORMAL = ("card_abnormal", "卡状态异常")
    ACCOUNT_CLOSED = ("account_closed", "账户已销户")
    NAME_MISMATCH = ("name_mismatch", "户名不符")
    NO_AGREEMENT = ("no_agreement", "未签约或协议已失效")
    OVER_LIMIT = ("over_limit", "超过单笔限额")
    OTHER = ("other", "其他")


class WithholdLine(SQLModel, table=True):
    """One debit of a run: a bill, the card it is taken from, and what the bank made of it."""

    __tablename__ = "withhold_line"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "line_no", name="uq_withhold_line_run_no"),
        # A bank transaction pays one line, whatever file brings it twice (domain: money decisions).
        sa.UniqueConstraint("bank", "bank_txn_id", name="uq_withhold_line_bank_txn"),
        # A bill waits in one line at most: a bill in an open or sent run cannot join another.
        partial_index("uq_withhold_line_waiting_bill", "bill_id", where="state = 'pending'", unique=True),
        sa.Index("ix_withhold_line_run_state", "run_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="withhold_run.id", title="批次")
    line_no: int = Field(title="序号")
    day: date = Field(title="代扣日期")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    bill_id: int = Field(foreign_key="bill.id", index=True, title="账单")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    agreement_id: int = Field(foreign_key="withhold_agreement.id", index=True, title="代扣协议")
    card_no: str = Field(max_length=19, title="银行卡号")
    holder_name: str = Field(max_length=32, title="持卡人姓名")
    amount: Decimal = money("代扣金额(元)")
    state: LineState = Field(
        default=LineState.PENDING, sa_column=enum_column(LineState, nullable=False), title="扣款结果"
    )
    reason: FailReason | None = Field(default=None, sa_column=enum_column(FailReason, nullable=True), title="失败原因")
    bank_message: str = Field(default="", max_length=64, title="银行返回信息")
    bank: str = Field(default="ccb", max_length=16, title="银行")
    bank_txn_id: str | None = Field(default=None, max_length=32, title="银行流水号")
    ref: str = Field(max_length=32, title="我方流水号")  # run number + line number: the ledger line's source_ref
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="回盘时间")
    version: int = Field(default=1, title="版本")
