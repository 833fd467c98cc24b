"""按居贷: each project's loan parameters (贷款方式, 额度 and what is used of it) and every loan a tenant
applied for to pay a bill."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, partial_index, utcnow


class LoanMode(LabeledEnum):
    CREDIT = ("credit", "信用")  # the developer does not guarantee the loan
    GUARANTEE = ("guarantee", "担保")  # the developer repays what the tenant does not


class LoanState(LabeledEnum):
    PENDING = ("pending", "审批中")  # sent, or to be sent again: the bank has not answered yet
    APPROVED = ("approved", "已放款")
    REFUSED = ("refused", "已拒绝")


class LoanParam(SQLModel, table=True):
    """贷款参数 of one project, set by the branch's 系统管理员. ``used`` is what its pending and approved
    loans hold; a loan takes its amount by a conditional update, never past ``quota``."""

    __tablename__ = "loan_param"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", unique=True, title="项目")
    mode: LoanMode = Field(default=LoanMode.CREDIT, sa_column=enum_column(LoanMode, nullable=False), title="贷款方式")
    quota: Decimal = money("贷款额度(元)")
    used: Decimal = money("已用额度(元)", default=Decimal("0.00"))
    enabled: bool = Field(default=True, title="启用")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="更新时间")
    version: int = Field(default=1, title="版本")


class Loan(SQLModel, table=True):
    """贷款记录: a tenant's 按居贷 application for one bill, and the bank's answer."""

    __tablename__ = "loan"
    __table_args__ = (
        # A bill is paid by one loan at most: one pending or approved loan per bill.
        partial_index("uq_loan_open_bill", "bill_id", where="state IN ('pending', 'approved')", unique=True),
        sa.Index("ix_loan_project_state", "project_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, title="贷款编号")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", title="项目")
    contract_id: int = Field(foreign_key="contract.id", index=True, title="合同")
    bill_id: int = Field(foreign_key="bill.id", title="账单")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    mode: LoanMode = Field(sa_column=enum_column(LoanMode, nullable=False), title="贷款方式")
    amount: Decimal = money("贷款金额(元)")
    credit_line: Decimal | None = money("银行授信额度(元)", default=None)
    state: LoanState = Field(default=LoanState.PENDING, sa_column=enum_column(LoanState, nullable=False), title="状态")
    bank_ref: str = Field(default="", max_length=32, title="银行流水号")
    note: str = Field(default="", max_length=255, title="说明")  # the bank's reason, or why it was not reached
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="经办人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="申请时间")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="审批时间")
    version: int = Field(default=1, title="版本")
