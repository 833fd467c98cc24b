"""meters: 三表抄表 and 公摊

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 18:51:35

Issue 22 part 2. The meter register (room, common-area and master meters with 倍率 and initial
reading), tiered prices of a pricing standard, monthly readings (one valid reading a meter and month:
a partial unique index, so a 返销 reading stays as history), 换表 history, and 公摊 per master meter
and month with its lines (one valid allocation a master and month). New tables only: no batch-altered
table, no search trigger touched. 元/m³ (燃气) is a new value of the pricing unit, stored as text.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pricing_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("above", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit_price", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pricing_id"],
            ["pricing_standard.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pricing_id", "above", name="uq_price_tier_pricing_above"),
    )
    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_tier_pricing_id"), ["pricing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_tier_project_id"), ["project_id"], unique=False)

    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "utility", sa.Enum("power", "water", "gas", name="utility", native_enum=False, length=16), nullable=False
        ),
        sa.Column(
            "kind", sa.Enum("room", "common", "master", name="meterkind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("pricing_id", sa.Integer(), nullable=True),
        sa.Column("multiplier", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("initial_reading", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "share_method",
            sa.Enum("per_room", "by_area", "by_use", name="sharemethod", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["meter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pricing_id"],
            ["pricing_standard.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "code", name="uq_meter_project_code"),
    )
    with op.batch_alter_table("meter", schema=None) as batch_op:
        batch_op.create_index("ix_meter_building_utility", ["building_id", "utility", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_room_id"), ["room_id"], unique=False)

    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("master_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("per_room", "by_area", "by_use", name="sharemethod", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("master_use", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("rooms_use", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("common_use", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("loss", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("shared_use", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit_price", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("room_count", sa.Integer(), nullable=False),
        sa.Column(
            "state", sa.Enum("done", "reversed", name="allocationstate", native_enum=False, length=16), nullable=False
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["master_id"],
            ["meter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_master_id"), ["master_id"], unique=False)
        batch_op.create_index("ix_allocation_project_month", ["project_id", "month"], unique=False)
        batch_op.create_index(
            "uq_allocation_master_month",
            ["master_id", "month"],
            unique=True,
            sqlite_where=sa.text("state = 'done'"),
            postgresql_where=sa.text("state = 'done'"),
        )

    op.create_table(
        "allocation_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("share", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_line_allocation_id"), ["allocation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocation_line_room_id"), ["room_id"], unique=False)

    op.create_table(
        "utility_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("previous", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reading", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.Column("old_final", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("new_initial", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("use", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=True),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "state", sa.Enum("valid", "reversed", name="readingstate", native_enum=False, length=16), nullable=False
        ),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("reversed_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["read_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("utility_reading", schema=None) as batch_op:
        batch_op.create_index("ix_utility_reading_building_month", ["building_id", "month"], unique=False)
        batch_op.create_index(batch_op.f("ix_utility_reading_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index("ix_utility_reading_project_month", ["project_id", "month"], unique=False)
        batch_op.create_index(
            "uq_utility_reading_month",
            ["meter_id", "month"],
            unique=True,
            sqlite_where=sa.text("state = 'valid'"),
            postgresql_where=sa.text("state = 'valid'"),
        )

    op.create_table(
        "meter_replacement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=False),
        sa.Column("old_final", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("new_initial", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reading_id", sa.Integer(), nullable=True),
        sa.Column(
            "state", sa.Enum("valid", "reversed", name="readingstate", native_enum=False, length=16), nullable=False
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["meter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["utility_reading.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meter_replacement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_replacement_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_replacement_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meter_replacement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_replacement_project_id"))
        batch_op.drop_index(batch_op.f("ix_meter_replacement_meter_id"))

    op.drop_table("meter_replacement")
    with op.batch_alter_table("utility_reading", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_utility_reading_month",
            sqlite_where=sa.text("state = 'valid'"),
            postgresql_where=sa.text("state = 'valid'"),
        )
        batch_op.drop_index("ix_utility_reading_project_month")
        batch_op.drop_index(batch_op.f("ix_utility_reading_meter_id"))
        batch_op.drop_index("ix_utility_reading_building_month")

    op.drop_table("utility_reading")
    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_line_room_id"))
        batch_op.drop_index(batch_op.f("ix_allocation_line_allocation_id"))

    op.drop_table("allocation_line")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_allocation_master_month",
            sqlite_where=sa.text("state = 'done'"),
            postgresql_where=sa.text("state = 'done'"),
        )
        batch_op.drop_index("ix_allocation_project_month")
        batch_op.drop_index(batch_op.f("ix_allocation_master_id"))

    op.drop_table("allocation")
    with op.batch_alter_table("meter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_room_id"))
        batch_op.drop_index(batch_op.f("ix_meter_project_id"))
        batch_op.drop_index(batch_op.f("ix_meter_parent_id"))
        batch_op.drop_index("ix_meter_building_utility")

    op.drop_table("meter")
    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_tier_project_id"))
        batch_op.drop_index(batch_op.f("ix_price_tier_pricing_id"))

    op.drop_table("price_tier")
