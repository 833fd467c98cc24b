"""存房易: landlords' 存房申请 from the 建融家园 APP, the 存房合同 a company drafts for the one it was chosen by,
and that contract's schedule of rent the company pays the landlord.

A landlord's application reaches every company of its city that has 存房易 enabled: one row per
(application number, company), so each company reviews its own. Every move is a conditional update on
the row's state; the APP's repeated or late deliveries find the row moved already and change nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money
from models.leasing import BillMode, PayCycle


class ConsignState(LabeledEnum):
    PENDING = ("pending", "待审核")
    APPROVED = ("approved", "待房东选择")
    REJECTED = ("rejected", "已驳回")
    CHOSEN = ("chosen", "待拟定合同")
    DRAFTED = ("drafted", "待签约")
    SIGNED = ("signed", "已签约")
    LAPSED = ("lapsed", "已失效")


class LandlordHouse(SQLModel):
    """The landlord and the house, as the application gives them and the contract keeps them (a mixin)."""

    landlord_name: str = Field(max_length=32, title="房东姓名")
    landlord_phone: str = Field(max_length=11, title="房东电话")
    landlord_id_number: str = Field(max_length=18, title="房东身份证号")
    house_address: str = Field(max_length=128, title="房屋地址")
    house_area: Decimal = Field(max_digits=8, decimal_places=2, title="建筑面积(㎡)")
    layout: str = Field(default="", max_length=32, title="户型")


class ConsignApplication(LandlordHouse, table=True):
    """存房申请: what the landlord filled in on the APP, as one company received it, and where it stands."""

    __tablename__ = "consign_application"
    __table_args__ = (sa.UniqueConstraint("number", "company_id", name="uq_consign_application_company"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, index=True, title="申请编号")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    city: str = Field(max_length=32, title="城市")
    expected_rent: Decimal = money("期望月租金(元)")
    expected_months: int = Field(title="期望存房期限(月)")
    submitted_at: datetime = Field(sa_type=UTCDateTime, title="申请时间")
    # The day the current step lapses after (Asia/Shanghai): the review's, then the landlord's choice's.
    valid_until: date = Field(title="有效期至")
    state: ConsignState = Field(
        default=ConsignState.PENDING, sa_column=enum_column(ConsignState, nullable=False), title="状态"
    )
    reason: str = Field(default="", max_length=255, title="说明")
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="审核人")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="审核时间")
    chosen_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="房东选择时间")
    # The review not yet told to the APP (it timed out or failed): 重新通知APP sends it again.
    app_pending: bool = Field(default=False, title="待通知APP")
    app_error: str = Field(default="", max_length=255, title="通知APP失败原因")
    version: int = Field(default=1, title="版本")


class ConsignContractState(LabeledEnum):
    DRAFTED = ("drafted", "待签约")
    ACTIVE = ("active", "执行中")


class ConsignContract(LandlordHouse, table=True):
    """存房合同: the company rents the landlord's house for a term and pays the landlord rent each cycle."""

    __tablename__ = "consign_contract"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, title="存房合同编号")
    application_id: int = Field(foreign_key="consign_application.id", unique=True, title="存房申请")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    start_date: date = Field(title="起始日")
    end_date: date = Field(title="到期日")
    monthly_rent: Decimal = money("付房东月租金(元)")
    cycle: PayCycle = Field(default=PayCycle.MONTHLY, sa_column=enum_column(PayCycle, nullable=False), title="付款周期")
    bill_mode: BillMode = Field(
        default=BillMode.SAME_DAY, sa_column=enum_column(BillMode, nullable=False), title="账单日"
    )
    payee_bank: str = Field(max_length=32, title="收款银行")
    payee_card_no: str = Field(max_length=24, title="房东收款卡号")
    state: ConsignContractState = Field(
        default=ConsignContractState.DRAFTED, sa_column=enum_column(ConsignContractState, nullable=False), title="状态"
    )
    drafted_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="拟定人")
    drafted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="拟定时间")
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="房东签约时间")
    app_pending: bool = Field(default=False, title="待通知APP")
    app_error: str = Field(default="", max_length=255, title="通知APP失败原因")
    version: int = Field(default=1, title="版本")


class ConsignPayment(SQLModel, table=True):
    """One period of a 存房合同: what the company owes the landlord and when (payable, not a tenant's bill)."""

    __tablename__ = "consign_payment"
    __table_args__ = (sa.UniqueConstraint("contract_id", "period_no", name="uq_consign_payment_period"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="consign_contract.id", index=True, title="存房合同")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    period_no: int = Field(title="期数")
    period_start: date = Field(title="账期开始")
    period_end: date = Field(title="账期结束")
    due_date: date = Field(title="应付日期")
    amount: Decimal = money("应付金额(元)")
