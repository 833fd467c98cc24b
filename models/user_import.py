"""用户导入: people a company imports (a spreadsheet or one by one), verified with 住房云 before they
become tenants (客户). A row waits as 待创建 until the nightly batch (T+1) or an immediate check
(单个新增 with 是否直接创建客户) moves it once to 创建成功 / 创建失败 / 已存在 (a conditional update)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow


class UserImportState(LabeledEnum):
    PENDING = ("pending", "待创建")
    CREATED = ("created", "创建成功")
    FAILED = ("failed", "创建失败")
    EXISTS = ("exists", "已存在")


class ImportedUser(SQLModel, table=True):
    __tablename__ = "imported_user"
    __table_args__ = (sa.UniqueConstraint("company_id", "id_number", name="uq_imported_user_company_id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, title="手机号")
    id_number: str = Field(max_length=18, title="身份证号")
    create_now: bool = Field(default=False, title="是否直接创建客户")
    state: UserImportState = Field(
        default=UserImportState.PENDING, sa_column=enum_column(UserImportState, nullable=False), title="状态"
    )
    reason: str = Field(default="", max_length=255, title="原因")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="客户")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True, title="导入批次")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True, title="导入时间")
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="验证时间")
    version: int = Field(default=1, title="版本")
