"""三表抄表 and 公摊: the meter register, monthly readings, replacements, tiered prices and allocations.

A room meter (分表) measures one room; a common-area meter (公共表: the lifts, the corridor lights) and
the room meters hang under a master meter (总表) of a building or of the whole project. Each month a
reading of every meter; the room meters' use is billed to the room's tenant, and what the master
measured beyond its room meters (路耗 + 公共表) is allocated to the rooms (services/allocation.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, partial_index, utcnow


class Utility(LabeledEnum):
    POWER = ("power", "电")
    WATER = ("water", "水")
    GAS = ("gas", "燃气")


class MeterKind(LabeledEnum):
    ROOM = ("room", "分表")
    COMMON = ("common", "公共表")
    MASTER = ("master", "总表")


class ShareMethod(LabeledEnum):
    PER_ROOM = ("per_room", "按户均摊")
    BY_AREA = ("by_area", "按面积")
    BY_USE = ("by_use", "按用量")


class ReadingState(LabeledEnum):
    VALID = ("valid", "有效")
    REVERSED = ("reversed", "已返销")


class AllocationState(LabeledEnum):
    DONE = ("done", "已分摊")
    REVERSED = ("reversed", "已返销")


def measure(title: str, **kw: Any) -> Any:
    """A meter reading or a use (NUMERIC(12, 2))."""
    return Field(max_digits=12, decimal_places=2, title=title, **kw)


class Meter(SQLModel, table=True):
    """A meter of the register: a room's, a common area's or a master meter of a building or project."""

    __tablename__ = "meter"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "code", name="uq_meter_project_code"),
        sa.Index("ix_meter_building_utility", "building_id", "utility", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    building_id: int | None = Field(default=None, foreign_key="building.id", title="楼栋")
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True, title="房间")
    code: str = Field(max_length=32, title="表号")
    name: str = Field(max_length=32, title="位置")
    utility: Utility = Field(sa_column=enum_column(Utility, nullable=False), title="类别")
    kind: MeterKind = Field(sa_column=enum_column(MeterKind, nullable=False), title="表类型")
    parent_id: int | None = Field(default=None, foreign_key="meter.id", index=True, title="所属总表")
    pricing_id: int | None = Field(default=None, foreign_key="pricing_standard.id", title="计费标准")
    multiplier: Decimal = Field(default=Decimal("1"), max_digits=8, decimal_places=2, title="倍率")
    initial_reading: Decimal = measure("初始读数", default=Decimal("0"))
    share_method: ShareMethod | None = Field(
        default=None, sa_column=enum_column(ShareMethod, nullable=True), title="公摊方式"
    )
    active: bool = Field(default=True, title="在用")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")
    version: int = Field(default=1, title="版本")


class PriceTier(SQLModel, table=True):
    """阶梯价格: a month's use of one meter above ``above`` is priced at ``unit_price`` (up to the next
    tier); below the first tier the pricing standard's own unit price applies."""

    __tablename__ = "price_tier"
    __table_args__ = (sa.UniqueConstraint("pricing_id", "above", name="uq_price_tier_pricing_above"),)

    id: int | None = Field(default=None, primary_key=True)
    pricing_id: int = Field(foreign_key="pricing_standard.id", index=True, title="计费标准")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")  # the standard's, for scope
    above: Decimal = measure("月用量超过")
    unit_price: Decimal = money("单价(元)")
    version: int = Field(default=1, title="版本")


class UtilityReading(SQLModel, table=True):
    """抄表读数: one meter's reading for one month, its use (× 倍率) and, for a room meter, its bill."""

    __tablename__ = "utility_reading"
    __table_args__ = (
        partial_index("uq_utility_reading_month", "meter_id", "month", where="state = 'valid'", unique=True),
        sa.Index("ix_utility_reading_building_month", "building_id", "month"),
        sa.Index("ix_utility_reading_project_month", "project_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meter_id: int = Field(foreign_key="meter.id", index=True, title="表")
    project_id: int = Field(foreign_key="project.id", title="项目")
    building_id: int | None = Field(default=None, foreign_key="building.id", title="楼栋")
    room_id: int | None = Field(default=None, foreign_key="room.id", title="房间")
    month: date = Field(title="月份")
    read_on: date = Field(title="抄表日期")
    previous: Decimal = measure("上次读数")
    reading: Decimal = measure("本次读数")
    replaced: bool = Field(default=False, title="换表")
    old_final: Decimal | None = measure("旧表止码", default=None)
    new_initial: Decimal | None = measure("新表起码", default=None)
    use: Decimal = measure("用量")
    amount: Decimal | None = money("金额(元)", default=None)
    bill_id: int | None = Field(default=None, foreign_key="bill.id", title="账单")
    note: str = Field(default="", max_length=255, title="提示")
    state: ReadingState = Field(
        default=ReadingState.VALID, sa_column=enum_column(ReadingState, nullable=False), title="状态"
    )
    read_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="抄表人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="录入时间")
    reversed_reason: str = Field(default="", max_length=255, title="返销原因")
    version: int = Field(default=1, title="版本")


class MeterReplacement(SQLModel, table=True):
    """换表: the old meter's final reading and the new one's initial reading, on a day."""

    __tablename__ = "meter_replacement"

    id: int | None = Field(default=None, primary_key=True)
    meter_id: int = Field(foreign_key="meter.id", index=True, title="表")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    replaced_on: date = Field(title="换表日期")
    old_final: Decimal = measure("旧表止码")
    new_initial: Decimal = measure("新表起码")
    reading_id: int | None = Field(default=None, foreign_key="utility_reading.id", title="抄表读数")
    state: ReadingState = Field(
        default=ReadingState.VALID, sa_column=enum_column(ReadingState, nullable=False), title="状态"
    )
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="登记人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="登记时间")


class Allocation(SQLModel, table=True):
    """公摊: one master meter's month, the quantity shared (路耗 + 公共表) and its money, split to the rooms."""

    __tablename__ = "allocation"
    __table_args__ = (
        partial_index("uq_allocation_master_month", "master_id", "month", where="state = 'done'", unique=True),
        sa.Index("ix_allocation_project_month", "project_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    master_id: int = Field(foreign_key="meter.id", index=True, title="总表")
    project_id: int = Field(foreign_key="project.id", title="项目")
    month: date = Field(title="月份")
    method: ShareMethod = Field(sa_column=enum_column(ShareMethod, nullable=False), title="公摊方式")
    master_use: Decimal = measure("总表用量")
    rooms_use: Decimal = measure("分表用量")
    common_use: Decimal = measure("公共表用量")
    loss: Decimal = measure("路耗")
    shared_use: Decimal = measure("公摊用量")
    unit_price: Decimal = money("单价(元)")
    amount: Decimal = money("公摊金额(元)")
    room_count: int = Field(default=0, title="分摊户数")
    state: AllocationState = Field(
        default=AllocationState.DONE, sa_column=enum_column(AllocationState, nullable=False), title="状态"
    )
    note: str = Field(default="", max_length=255, title="说明")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="操作人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="分摊时间")
    version: int = Field(default=1, title="版本")


class AllocationLine(SQLModel, table=True):
    """A room's part of a 公摊: its basis (1 户, its area, its use), its share and amount, and its bill
    (none for a room without a tenant that month: the operator bears that part)."""

    __tablename__ = "allocation_line"

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="allocation.id", index=True, title="公摊")
    project_id: int = Field(foreign_key="project.id", title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    basis: Decimal = measure("分摊基数")
    share: Decimal = Field(max_digits=9, decimal_places=6, title="分摊比例")
    quantity: Decimal = measure("分摊用量")
    amount: Decimal = money("分摊金额(元)")
    bill_id: int | None = Field(default=None, foreign_key="bill.id", title="账单")
    note: str = Field(default="", max_length=255, title="说明")
