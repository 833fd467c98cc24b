"""保险管理: products (租房保) with cover options, project plans, additional info and policies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow


class InsuranceKind(LabeledEnum):
    HOME = ("home", "家庭财产险")
    DEPOSIT = ("deposit", "押金损失险")
    TENANT_LIABILITY = ("tenant_liability", "承租人责任险")
    LANDLORD_LIABILITY = ("landlord_liability", "出租人责任险")


class InsuranceProduct(SQLModel, table=True):
    __tablename__ = "insurance_product"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, title="产品名称")
    kind: InsuranceKind = Field(sa_column=enum_column(InsuranceKind, nullable=False), title="险种")
    insurer: str = Field(max_length=64, title="保险公司")
    description: str = Field(default="", max_length=255, title="产品说明")
    enabled: bool = Field(default=True, title="上架")
    version: int = Field(default=1, title="版本")


class InsuranceCover(SQLModel, table=True):
    """One cover option of a product: how much is insured, for what premium a year."""

    __tablename__ = "insurance_cover"
    __table_args__ = (sa.UniqueConstraint("product_id", "cover_amount", name="uq_insurance_cover_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="insurance_product.id", index=True, title="保险产品")
    name: str = Field(max_length=32, title="保额档位")
    cover_amount: Decimal = money("保额(元)")
    premium: Decimal = money("保费(元/年)")
    version: int = Field(default=1, title="版本")


class PlanMode(LabeledEnum):
    SOLD = ("sold", "可购买")
    GIFTED = ("gifted", "首次租房赠送")


class ProjectInsurancePlan(SQLModel, table=True):
    """项目保险方案: a product a project sells or gives free at a first rental.

    The insurer's branch serving the project is set by the project's first plan; later plans
    take it over (to change it, delete every plan of the project)."""

    __tablename__ = "project_insurance_plan"
    __table_args__ = (sa.UniqueConstraint("project_id", "product_id", "mode", name="uq_project_plan_product"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    product_id: int = Field(foreign_key="insurance_product.id", title="保险产品")
    mode: PlanMode = Field(sa_column=enum_column(PlanMode, nullable=False), title="方案类型")
    gift_cover_id: int | None = Field(default=None, foreign_key="insurance_cover.id", title="赠送保额")
    branch_name: str = Field(default="", max_length=64, title="承保分行")
    branch_code: str = Field(default="", max_length=32, title="分行机构代码")
    branch_contact: str = Field(default="", max_length=20, title="分行联系电话")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class InsuranceExtra(SQLModel, table=True):
    __tablename__ = "insurance_extra"
    __table_args__ = (sa.UniqueConstraint("product_id", "key", name="uq_insurance_extra_key"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="insurance_product.id", index=True, title="保险产品")
    key: str = Field(max_length=32, title="信息项")
    value: str = Field(max_length=255, title="内容")
    version: int = Field(default=1, title="版本")


class PolicyState(LabeledEnum):
    UNPAID = ("unpaid", "未支付")
    PAID = ("paid", "已支付")
    IN_FORCE = ("in_force", "保障中")
    EXPIRED = ("expired", "已过期")
    CANCELLED = ("cancelled", "已取消")


class Policy(SQLModel, table=True):
    """A policy: 赠险 (given at a contract's first check-in, once: the partial unique index) or bought."""

    __tablename__ = "policy"
    __table_args__ = (
        sa.Index(
            "uq_policy_gift_contract",
            "contract_id",
            unique=True,
            postgresql_where=sa.text("gifted"),
            sqlite_where=sa.text("gifted"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True, title="保单号")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    contract_id: int = Field(foreign_key="contract.id", index=True, title="合同")
    tenant_id: int = Field(foreign_key="tenant.id", title="租客")
    product_id: int = Field(foreign_key="insurance_product.id", title="保险产品")
    cover_amount: Decimal = money("保额(元)")
    premium: Decimal = money("保费(元)")
    gifted: bool = Field(default=False, title="赠险")
    state: PolicyState = Field(sa_column=enum_column(PolicyState, nullable=False), title="保单状态")
    starts_on: date = Field(title="起保日期")
    ends_on: date = Field(title="终保日期")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="投保时间")
