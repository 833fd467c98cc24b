"""repairs: 报修与工单 (repair orders, their 派工 history, 回单, 外委单位)

Issue 22 part 1. New tables only; plain create_table / create_index (no batch alter: nothing here is an
existing table with search triggers).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 18:51:29.732583
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repair_vendor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("categories", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "name", name="uq_repair_vendor_name"),
    )
    op.create_index("ix_repair_vendor_company_id", "repair_vendor", ["company_id"], unique=False)

    op.create_table(
        "repair_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "utilities",
                "appliance",
                "lock",
                "network",
                "other",
                name="repaircategory",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "urgency", sa.Enum("normal", "urgent", name="repairurgency", native_enum=False, length=16), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("photos", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("preferred_time", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "rejected",
                "approved",
                "dispatched",
                "accepted",
                "reported",
                "visited",
                "archived",
                name="repairstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("dispatch_count", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("due_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("accepted_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("reported_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("visit_comment", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("visited_by_id", sa.Integer(), nullable=True),
        sa.Column("visited_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("archived_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["repair_vendor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["visited_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_repair_order_assignee_id", "repair_order", ["assignee_id"], unique=False)
    op.create_index("ix_repair_order_project_id", "repair_order", ["project_id"], unique=False)
    op.create_index(
        "ix_repair_order_project_state_due", "repair_order", ["project_id", "state", "due_at"], unique=False
    )
    op.create_index("ix_repair_order_room_id", "repair_order", ["room_id"], unique=False)

    op.create_table(
        "repair_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("due_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["repair_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["repair_vendor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "seq", name="uq_repair_dispatch_seq"),
    )
    op.create_index("ix_repair_dispatch_order_id", "repair_dispatch", ["order_id"], unique=False)
    op.create_index("ix_repair_dispatch_project_id", "repair_dispatch", ["project_id"], unique=False)

    op.create_table(
        "repair_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("work_done", sa.Text(), nullable=False),
        sa.Column("materials", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("cost", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("photos", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("charge_tenant", sa.Boolean(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["repair_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index("ix_repair_report_project_id", "repair_report", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_repair_report_project_id", table_name="repair_report")

    op.drop_table("repair_report")
    op.drop_index("ix_repair_dispatch_project_id", table_name="repair_dispatch")
    op.drop_index("ix_repair_dispatch_order_id", table_name="repair_dispatch")

    op.drop_table("repair_dispatch")
    op.drop_index("ix_repair_order_room_id", table_name="repair_order")
    op.drop_index("ix_repair_order_project_state_due", table_name="repair_order")
    op.drop_index("ix_repair_order_project_id", table_name="repair_order")
    op.drop_index("ix_repair_order_assignee_id", table_name="repair_order")

    op.drop_table("repair_order")
    op.drop_index("ix_repair_vendor_company_id", table_name="repair_vendor")

    op.drop_table("repair_vendor")
