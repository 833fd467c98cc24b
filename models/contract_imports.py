"""合同批量导入: imported contracts waiting to become real ones (manual: 合同导入, T+1 日批处理).

A row is 待确认 when imported, 待执行 once confirmed, and turns into a real contract (已生成, with its
bills) in the nightly batch of the day it was confirmed; a room taken meanwhile leaves it 生成失败
with the reason. Rent, deposit, billing mode and cycle are the room's and the project's 在线签约设置
at import time.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow
from models.leasing import BillMode, PayCycle


class ImportState(LabeledEnum):
    PENDING = ("pending", "待确认")
    CONFIRMED = ("confirmed", "待执行")
    FORMAL = ("formal", "已生成")
    FAILED = ("failed", "生成失败")


class ContractImport(SQLModel, table=True):
    __tablename__ = "contract_import"
    # The nightly batch reads the confirmed rows of a day and older: (state, confirmed_on).
    __table_args__ = (sa.Index("ix_contract_import_state_day", "state", "confirmed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    tenant_ref: str = Field(max_length=18, title="租客证件号码或手机号")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
    start_date: date = Field(title="起租日")
    end_date: date = Field(title="到期日")
    monthly_rent: Decimal = money("月租金(元)", default=Decimal("0.00"))
    deposit: Decimal = money("押金(元)", default=Decimal("0.00"))
    bill_mode: BillMode = Field(
        default=BillMode.SAME_DAY, sa_column=enum_column(BillMode, nullable=False), title="账单类型"
    )
    cycle: PayCycle = Field(default=PayCycle.MONTHLY, sa_column=enum_column(PayCycle, nullable=False), title="缴费周期")
    state: ImportState = Field(
        default=ImportState.PENDING, sa_column=enum_column(ImportState, nullable=False), title="状态"
    )
    confirmed_on: date | None = Field(default=None, title="确认日期")  # the Shanghai day: its nightly batch
    confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="确认人")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", title="正式合同")
    contract_no: str = Field(default="", max_length=24, title="合同编号")
    failure: str = Field(default="", max_length=255, title="失败原因")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True, title="导入批次")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="导入人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="导入时间")
    version: int = Field(default=1, title="版本")
