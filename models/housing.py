"""Projects, buildings, floors, unit types, fee items and rooms: the part of housing others build on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, percent, utcnow
from models.leasing import BillMode, PayCycle


class ProjectKind(LabeledEnum):
    CENTRALIZED = ("centralized", "集中式")
    SCATTERED = ("scattered", "分散式")


class PublishState(LabeledEnum):
    DRAFT = ("draft", "草稿")
    PENDING = ("pending", "待审核")
    PUBLISHED = ("published", "已发布")
    REJECTED = ("rejected", "已驳回")


class RoomStatus(LabeledEnum):
    VACANT = ("vacant", "空闲可租")
    LOCKED = ("locked", "不可租")
    RESERVED = ("reserved", "已预定")
    SIGNED = ("signed", "待入住")
    OCCUPIED = ("occupied", "在租")


class LockKind(LabeledEnum):
    ORDINARY = ("ordinary", "普通锁定")
    BUSINESS = ("business", "事务锁定")


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (sa.UniqueConstraint("company_id", "name", name="uq_project_company_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, title="项目名称")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    city: str = Field(max_length=32, title="城市")
    district: str = Field(default="", max_length=32, title="区县")
    address: str = Field(default="", max_length=128, title="地址")
    kind: ProjectKind = Field(sa_column=enum_column(ProjectKind, nullable=False), title="项目类型")
    publish_state: PublishState = Field(
        default=PublishState.DRAFT, sa_column=enum_column(PublishState, nullable=False), title="发布状态"
    )
    visible: bool = Field(default=False, title="租客可见")
    cover: str = Field(default="", max_length=64, title="封面图")
    on_blockchain: bool = Field(default=False, title="住房链发布")
    review_comment: str = Field(default="", max_length=255, title="审核意见")
    late_fee_grace_days: int = Field(default=0, title="滞纳金宽限天数")
    late_fee_rate: Decimal = percent("租金滞纳金日费率(%)", default=Decimal("0.05"))
    # 在线签约设置 (项目参数, issue 21): what back-office signing and 合同批量导入 take from the project.
    # 代扣开始日: the day of the month the daily job starts this project's withholding run, when 代扣开启.
    withhold_day: int | None = Field(default=None, ge=1, le=28, title="代扣开始日")
    withhold_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()}, title="代扣开启")
    bill_mode: BillMode | None = Field(default=None, sa_column=enum_column(BillMode, nullable=True), title="账单类型")
    pay_cycle: PayCycle = Field(
        default=PayCycle.MONTHLY, sa_column=enum_column(PayCycle, nullable=False, server_default="1"), title="缴费周期"
    )
    contract_terms: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""}, title="合同条款")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class RentMode(LabeledEnum):
    WHOLE = ("whole", "整租")
    SHARED = ("shared", "合租")


class UnitType(SQLModel, table=True):
    """户型 of a centralized project: what tenants see before they pick a room."""

    __tablename__ = "unit_type"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_unit_type_project_name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="户型名称")
    rent_mode: RentMode = Field(sa_column=enum_column(RentMode, nullable=False), title="出租方式")
    bedrooms: int = Field(default=1, title="室")
    halls: int = Field(default=0, title="厅")
    baths: int = Field(default=1, title="卫")
    area: Decimal = Field(max_digits=8, decimal_places=2, title="面积(㎡)")
    orientation: str = Field(default="", max_length=8, title="朝向")
    reference_rent: Decimal = money("参考租金(元/月)")
    photos: str = Field(default="", max_length=400, title="户型图片")
    version: int = Field(default=1, title="版本")


class FeeKind(LabeledEnum):
    PERIODIC = ("periodic", "周期性")
    METERED = ("metered", "走表类")
    ONE_OFF = ("one_off", "一次性")
    NON_CONTRACT = ("non_contract", "非合同类")


class PriceUnit(LabeledEnum):
    PER_MONTH = ("per_month", "元/月")
    PER_SQM_MONTH = ("per_sqm_month", "元/㎡·月")
    PER_KWH = ("per_kwh", "元/度")
    PER_TON = ("per_ton", "元/吨")
    PER_M3 = ("per_m3", "元/m³")
    FIXED = ("fixed", "元/次")
    MANUAL = ("manual", "手工录入")  # the amount is the fee item's 默认金额 (项目参数 → 在线签约设置)


class FeeItem(SQLModel, table=True):
    """费项 of a project (rent is not one: it is the room's own price)."""

    __tablename__ = "fee_item"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_fee_item_project_name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="费项名称")
    kind: FeeKind = Field(sa_column=enum_column(FeeKind, nullable=False), title="收费类型")
    description: str = Field(default="", max_length=255, title="说明")
    # For a fee priced 手工录入: the amount signing and 合同批量导入 bill (a month's, or once for 一次性).
    default_amount: Decimal | None = money("手工录入默认金额(元)", default=None)
    version: int = Field(default=1, title="版本")


class PricingStandard(SQLModel, table=True):
    """计费标准: how a fee item is priced; a fee item may have several (e.g. 民用电/商用电)."""

    __tablename__ = "pricing_standard"
    __table_args__ = (sa.UniqueConstraint("fee_item_id", "name", name="uq_pricing_fee_item_name"),)

    id: int | None = Field(default=None, primary_key=True)
    fee_item_id: int = Field(foreign_key="fee_item.id", index=True, title="费项")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")  # the fee item's, for scope
    name: str = Field(max_length=32, title="标准名称")
    unit_price: Decimal = money("单价(元)")
    unit: PriceUnit = Field(sa_column=enum_column(PriceUnit, nullable=False), title="计价单位")
    late_fee_rate: Decimal = percent("滞纳金日费率(%)", default=Decimal("0.05"))
    version: int = Field(default=1, title="版本")


class Building(SQLModel, table=True):
    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_building_project_name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="楼栋")


class Floor(SQLModel, table=True):
    __tablename__ = "floor"
    __table_args__ = (sa.UniqueConstraint("building_id", "number", name="uq_floor_building_number"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True, title="楼栋")
    number: int = Field(title="楼层")


class Room(SQLModel, table=True):
    __tablename__ = "room"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "number", name="uq_room_project_number"),
        sa.Index("ix_room_project_status", "project_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", title="项目")
    building_id: int = Field(foreign_key="building.id", index=True, title="楼栋")
    floor_id: int = Field(foreign_key="floor.id", title="楼层")
    number: str = Field(max_length=32, title="房号")
    area: Decimal = Field(max_digits=8, decimal_places=2, title="面积(㎡)")
    rent: Decimal = money("月租金(元)")
    deposit: Decimal = money("押金(元)")
    orientation: str = Field(default="", max_length=8, title="朝向")
    status: RoomStatus = Field(
        default=RoomStatus.VACANT, sa_column=enum_column(RoomStatus, nullable=False), title="房态"
    )
    floor_no: int = Field(default=1, title="楼层")  # what people type; floor_id follows it
    unit_type_id: int | None = Field(default=None, foreign_key="unit_type.id", title="户型")
    longitude: Decimal | None = Field(default=None, max_digits=9, decimal_places=6, title="经度")
    latitude: Decimal | None = Field(default=None, max_digits=9, decimal_places=6, title="纬度")
    external_code: str = Field(default="", max_length=64, title="来源平台房间编号")
    cover: str = Field(default="", max_length=64, title="封面图")
    photos: str = Field(default="", max_length=400, title="介绍图片")
    visible: bool = Field(default=False, title="租客可见")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True, title="导入批次")
    lock_kind: LockKind | None = Field(default=None, sa_column=enum_column(LockKind, nullable=True), title="锁定类型")
    lock_reason: str = Field(default="", max_length=100, title="锁定原因")
    locked_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="锁定人")
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="锁定时间")
    version: int = Field(default=1, title="版本")


class RoomStatusLog(SQLModel, table=True):
    """Every change of a room's status: who, when, from what to what, and why."""

    __tablename__ = "room_status_log"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    from_status: RoomStatus = Field(sa_column=enum_column(RoomStatus, nullable=False), title="原房态")
    to_status: RoomStatus = Field(sa_column=enum_column(RoomStatus, nullable=False), title="新房态")
    action: str = Field(max_length=16, title="操作")
    reason: str = Field(default="", max_length=100, title="原因")
    username: str = Field(default="", max_length=32, title="操作人")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="时间")
