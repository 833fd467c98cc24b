"""Projects, buildings, floors and rooms: the part of housing others build on."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow


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


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (sa.UniqueConstraint("company_id", "name", name="uq_project_company_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, title="项目名称")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    city: str = Field(max_length=32, title="城市")
    district: str = Field(default="", max_length=32, title="区县")
    address: str = Field(default="", max_length=128, title="地址")
    kind: ProjectKind = Field(sa_column=enum_column(ProjectKind, nullable=False), title="项目类型")
    publish_state: PublishState = Field(default=PublishState.DRAFT,
                                        sa_column=enum_column(PublishState, nullable=False),
                                        title="发布状态")
    visible: bool = Field(default=False, title="租客可见")
    cover: str = Field(default="", max_length=64, title="封面图")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class Building(SQLModel, table=True):
    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_building_project_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="楼栋")


class Floor(SQLModel, table=True):
    __tablename__ = "floor"
    __table_args__ = (sa.UniqueConstraint("building_id", "number", name="uq_floor_building_number"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True, title="楼栋")
    number: int = Field(title="楼层")


class Room(SQLModel, table=True):
    __tablename__ = "room"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "number", name="uq_room_project_number"),
        sa.Index("ix_room_project_status", "project_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", title="项目")
    building_id: int = Field(foreign_key="building.id", index=True, title="楼栋")
    floor_id: int = Field(foreign_key="floor.id", title="楼层")
    number: str = Field(max_length=32, title="房号")
    area: Decimal = Field(max_digits=8, decimal_places=2, title="面积(㎡)")
    rent: Decimal = Field(max_digits=12, decimal_places=2, title="月租金(元)")
    deposit: Decimal = Field(max_digits=12, decimal_places=2, title="押金(元)")
    orientation: str = Field(default="", max_length=8, title="朝向")
    status: RoomStatus = Field(default=RoomStatus.VACANT,
                               sa_column=enum_column(RoomStatus, nullable=False),
                               title="房态")
