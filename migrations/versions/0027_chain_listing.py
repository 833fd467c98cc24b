"""chain listing: 住房链上架申请 and each room's 上架结果

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 15:14:35

Issue 21 item 7, 区块链管理. A company's application to list a project's rooms on 住房链 (its number unique;
the batch number it is sent under, kept for every retry) and one result row per room of an application
(unique per application and room: a batch answered twice writes nothing twice); one open application a
project (a partial unique index). New tables only.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "approved", "listed", "rejected", name="chainapplystate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("remark", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("room_count", sa.Integer(), nullable=False),
        sa.Column("platform_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("applied_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("review_comment", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("batch_no", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("batch_day", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("listed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("succeeded_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applied_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_chain_application_company_id", "chain_application", ["company_id"], unique=False)
    op.create_index("ix_chain_application_project_id", "chain_application", ["project_id"], unique=False)
    op.create_index(
        "uq_chain_application_open",
        "chain_application",
        ["project_id"],
        unique=True,
        sqlite_where=sa.text("state IN ('pending', 'approved')"),
        postgresql_where=sa.text("state IN ('pending', 'approved')"),
    )

    op.create_table(
        "chain_listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("external_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum("waiting", "listed", "failed", name="listingstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("chain_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("listed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["chain_application.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
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
        sa.UniqueConstraint("application_id", "room_id", name="uq_chain_listing_application_room"),
    )
    op.create_index("ix_chain_listing_company_id", "chain_listing", ["company_id"], unique=False)
    op.create_index("ix_chain_listing_project_day", "chain_listing", ["project_id", "day"], unique=False)
    op.create_index("ix_chain_listing_room_id", "chain_listing", ["room_id"], unique=False)


def downgrade() -> None:
    op.drop_table("chain_listing")
    op.drop_table("chain_application")
