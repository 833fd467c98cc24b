"""Organisation tree, roles and data scopes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow


class UnitKind(LabeledEnum):
    HQ = ("hq", "总行")
    BRANCH = ("branch", "分行")
    COMPANY = ("company", "企业")


class Role(LabeledEnum):
    SUPER_ADMIN = ("super_admin", "超级管理员")
    SYSTEM_ADMIN = ("system_admin", "系统管理员")
    PRINCIPAL = ("principal", "负责人")
    MULTI_STORE_MANAGER = ("multi_store_manager", "多店店长")
    STORE_MANAGER = ("store_manager", "店长")
    STORE_ASSISTANT = ("store_assistant", "店助")
    FINANCE = ("finance", "财务")


# Where each role sits in the tree (domain guide, "Organisation, roles").
ROLE_UNIT_KIND: dict[Role, UnitKind] = {
    Role.SUPER_ADMIN: UnitKind.HQ,
    Role.SYSTEM_ADMIN: UnitKind.BRANCH,
    Role.PRINCIPAL: UnitKind.COMPANY,
    Role.MULTI_STORE_MANAGER: UnitKind.COMPANY,
    Role.STORE_MANAGER: UnitKind.COMPANY,
    Role.STORE_ASSISTANT: UnitKind.COMPANY,
    Role.FINANCE: UnitKind.COMPANY,
}

# Roles whose work is bound to the projects assigned to them.
PROJECT_BOUND_ROLES = frozenset({Role.MULTI_STORE_MANAGER, Role.STORE_MANAGER, Role.STORE_ASSISTANT})


class DataScope(LabeledEnum):
    SUBTREE = ("subtree", "本级及下级")
    SELF = ("self", "本级")
    CUSTOM = ("custom", "自定义")


class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    __table_args__ = (sa.UniqueConstraint("parent_id", "name", name="uq_org_unit_parent_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, title="名称")
    kind: UnitKind = Field(sa_column=enum_column(UnitKind, nullable=False), title="类型")
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True, title="上级机构")
    city: str = Field(default="", max_length=32, title="城市")
    is_whitelist: bool = Field(default=False, title="白名单企业")
    is_operating: bool = Field(default=False, title="运营类企业")
    # "<hash>.<ext>/<original name>" of a private attachment (clss_app.admin.attachments)
    license_file: str = Field(default="", max_length=255, title="营业执照")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")
