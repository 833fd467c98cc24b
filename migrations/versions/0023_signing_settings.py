"""signing settings and contract import: 在线签约设置 on the project, 手工录入 fee amounts, 合同批量导入

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 15:30:00

Issue 21, 项目参数 / 在线签约设置 and 合同批量导入. The project gains 代扣开启 (a project that had a
代扣开始日 keeps withholding: it is switched on here), 账单类型, 缴费周期 and 合同条款 (代扣开始日 is
0022's column); a fee item its 手工录入默认金额; imported contracts wait in contract_import until the
nightly batch makes them real. Plain ADD COLUMN (no batch rebuild), as 0022.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project", sa.Column("withhold_enabled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column(
        "project",
        sa.Column(
            "bill_mode",
            sa.Enum("same_day", "month_start", name="billmode", native_enum=False, length=16),
            nullable=True,
        ),
    )
    op.add_column(
        "project",
        sa.Column(
            "pay_cycle",
            sa.Enum("1", "3", "6", "12", "0", name="paycycle", native_enum=False, length=16),
            server_default="1",
            nullable=False,
        ),
    )
    op.add_column("project", sa.Column("contract_terms", sa.Text(), server_default="", nullable=False))
    op.execute("UPDATE project SET withhold_enabled = true WHERE withhold_day IS NOT NULL")
    op.add_column("fee_item", sa.Column("default_amount", models.base.Money(precision=12, scale=2), nullable=True))
    op.create_table(
        "contract_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("tenant_ref", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("monthly_rent", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("deposit", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column(
            "bill_mode",
            sa.Enum("same_day", "month_start", name="billmode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "cycle", sa.Enum("1", "3", "6", "12", "0", name="paycycle", native_enum=False, length=16), nullable=False
        ),
        sa.Column(
            "state",
            sa.Enum("pending", "confirmed", "formal", "failed", name="importstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("contract_no", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("failure", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batch.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contract_import_project_id", "contract_import", ["project_id"])
    op.create_index("ix_contract_import_room_id", "contract_import", ["room_id"])
    op.create_index("ix_contract_import_import_batch_id", "contract_import", ["import_batch_id"])
    op.create_index("ix_contract_import_state_day", "contract_import", ["state", "confirmed_on"])


def downgrade() -> None:
    op.drop_table("contract_import")
    op.drop_column("fee_item", "default_amount")
    for name in ("contract_terms", "pay_cycle", "bill_mode", "withhold_enabled"):
        op.drop_column("project", name)
