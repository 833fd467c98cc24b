"""saved filters

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-01 08:45:00

常用筛选: a user's named filter sets, one list each (issue 18, item 6).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("admin_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("query", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "admin_key", "name", name="uq_saved_filter_user_list_name"),
    )
    op.create_index(op.f("ix_saved_filter_user_id"), "saved_filter", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_filter_user_id"), table_name="saved_filter")
    op.drop_table("saved_filter")
