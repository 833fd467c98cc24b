"""user import: 用户导入's people, waiting for 住房云's verification

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 15:40:00

Issue 21, 用户导入. One new table (imported_user); nothing else changes, so no table with 0017's
search triggers is rebuilt.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("create_now", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "created", "failed", "exists", name="userimportstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("checked_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batch.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "id_number", name="uq_imported_user_company_id_number"),
    )
    op.create_index("ix_imported_user_company_id", "imported_user", ["company_id"])
    op.create_index("ix_imported_user_import_batch_id", "imported_user", ["import_batch_id"])
    op.create_index("ix_imported_user_created_at", "imported_user", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_imported_user_created_at", table_name="imported_user")
    op.drop_index("ix_imported_user_import_batch_id", table_name="imported_user")
    op.drop_index("ix_imported_user_company_id", table_name="imported_user")
    op.drop_table("imported_user")
