"""交款日报: what one collector registered on one Shanghai day, by method, and 财务's 交款确认 of it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow

ZERO = Decimal("0.00")


class DailyReportState(LabeledEnum):
    PENDING = ("pending", "待交款")
    CONFIRMED = ("confirmed", "已交款确认")


class DailyReport(SQLModel, table=True):
    """One collector's day: the payments they registered (each names its report, ``payment.daily_report_id``)
    added up by method. Once 财务 confirms the money was handed in, those payments can no longer change."""

    __tablename__ = "daily_report"
    __table_args__ = (sa.UniqueConstraint("collector_id", "day", name="uq_daily_report_collector_day"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    collector_id: int = Field(foreign_key="app_user.id", index=True, title="收款人")
    day: date = Field(index=True, title="日期")
    entry_count: int = Field(default=0, title="笔数")
    cash: Decimal = money("现金(元)", default=ZERO)
    transfer: Decimal = money("银行转账(元)", default=ZERO)
    pos: Decimal = money("POS刷卡(元)", default=ZERO)
    wechat: Decimal = money("微信支付(元)", default=ZERO)
    other: Decimal = money("其他方式(元)", default=ZERO)
    total: Decimal = money("合计(元)", default=ZERO)
    state: DailyReportState = Field(
        default=DailyReportState.PENDING, sa_column=enum_column(DailyReportState, nullable=False), title="状态"
    )
    handed_in: Decimal | None = money("实交金额(元)", default=None)
    difference: Decimal | None = money("差额(元)", default=None)
    note: str = Field(default="", max_length=255, title="差异说明")
    generated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="统计时间")
    confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="确认人")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="确认时间")
    version: int = Field(default=1, title="版本")
