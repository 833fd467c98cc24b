"""报修与工单: a repair order from 登记 to 归档, each 派工 of it, its 回单, and the 外委单位 it may go to.

The order's ``state`` is the one truth of where it stands; every step moves it by a conditional update
(services/repairs.py). Each 派工 is a row of its own (二次派工 adds one, the earlier stay); the order keeps
the latest assignee and due time so lists, 待我处理 and the board read one table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow


class RepairCategory(LabeledEnum):
    UTILITIES = ("utilities", "水电")
    APPLIANCE = ("appliance", "家电")
    LOCK = ("lock", "门锁")
    NETWORK = ("network", "网络")
    OTHER = ("other", "其他")


class RepairUrgency(LabeledEnum):
    NORMAL = ("normal", "一般")
    URGENT = ("urgent", "紧急")


class RepairState(LabeledEnum):
    PENDING = ("pending", "待审核")
    REJECTED = ("rejected", "已驳回")
    APPROVED = ("approved", "待派工")
    DISPATCHED = ("dispatched", "已派工")
    ACCEPTED = ("accepted", "处理中")
    REPORTED = ("reported", "待回访")
    VISITED = ("visited", "待归档")
    ARCHIVED = ("archived", "已归档")


class RepairVendor(SQLModel, table=True):
    """外委单位: an outside firm a company sends repairs of its categories to."""

    __tablename__ = "repair_vendor"
    __table_args__ = (sa.UniqueConstraint("company_id", "name", name="uq_repair_vendor_name"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    name: str = Field(max_length=64, title="单位名称")
    contact: str = Field(default="", max_length=32, title="联系人")
    phone: str = Field(default="", max_length=20, title="联系电话")
    # The categories it takes, by label ("水电,门锁"): a closed set, checked on save.
    categories: str = Field(max_length=64, title="服务类别")
    active: bool = Field(default=True, title="启用")
    version: int = Field(default=1, title="版本")


class RepairOrder(SQLModel, table=True):
    """报修单 / 工单."""

    __tablename__ = "repair_order"
    __table_args__ = (
        # 待我处理 and the board: open orders by due time within a project.
        sa.Index("ix_repair_order_project_state_due", "project_id", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, title="工单号")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", title="合同")
    category: RepairCategory = Field(sa_column=enum_column(RepairCategory, nullable=False), title="报修类别")
    urgency: RepairUrgency = Field(
        default=RepairUrgency.NORMAL, sa_column=enum_column(RepairUrgency, nullable=False), title="紧急程度"
    )
    description: str = Field(max_length=500, sa_type=sa.Text, title="问题描述")
    photos: str = Field(default="", max_length=1000, title="报修照片")
    preferred_time: str = Field(default="", max_length=64, title="期望上门时间")
    state: RepairState = Field(
        default=RepairState.PENDING, sa_column=enum_column(RepairState, nullable=False), title="状态"
    )
    reason: str = Field(default="", max_length=255, title="驳回原因")
    registered_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="登记人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="报修时间")
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="审核人")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="审核时间")
    # The latest 派工 (the history is repair_dispatch): who does it and by when.
    dispatch_count: int = Field(default=0, title="派工次数")
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True, title="处理人")
    vendor_id: int | None = Field(default=None, foreign_key="repair_vendor.id", title="外委单位")
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="派工时间")
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="要求完成时间")
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="接单时间")
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="回单时间")
    on_time: bool | None = Field(default=None, title="按时完成")
    satisfaction: int | None = Field(default=None, title="满意度")
    visit_comment: str = Field(default="", max_length=255, title="回访意见")
    visited_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="回访人")
    visited_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="回访时间")
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="归档时间")
    version: int = Field(default=1, title="版本")


class RepairDispatch(SQLModel, table=True):
    """One 派工 of an order: to a staff member or an 外委单位, due by the category's SLA from then."""

    __tablename__ = "repair_dispatch"
    __table_args__ = (sa.UniqueConstraint("order_id", "seq", name="uq_repair_dispatch_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="repair_order.id", index=True, title="工单")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    seq: int = Field(title="第几次派工")
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", title="处理人")
    vendor_id: int | None = Field(default=None, foreign_key="repair_vendor.id", title="外委单位")
    due_at: datetime = Field(sa_type=UTCDateTime, title="要求完成时间")
    note: str = Field(default="", max_length=255, title="派工说明")
    dispatched_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="派工人")
    dispatched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="派工时间")


class RepairReport(SQLModel, table=True):
    """回单: what was done, with what, at what cost, and whether the tenant is charged (a 非合同类 bill)."""

    __tablename__ = "repair_report"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="repair_order.id", unique=True, title="工单")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    work_done: str = Field(max_length=500, sa_type=sa.Text, title="处理结果")
    materials: str = Field(default="", max_length=255, title="更换配件/材料")
    cost: Decimal = money("维修费用(元)", default=Decimal("0.00"))
    photos: str = Field(default="", max_length=1000, title="完工照片")
    charge_tenant: bool = Field(default=False, title="向租客收费")
    bill_id: int | None = Field(default=None, foreign_key="bill.id", title="收费账单")
    reported_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="回单人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="回单时间")
