"""consignment: 存房易 applications, 存房合同 and their payable schedule

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 15:13:33

Issue 21 item 6, 存房易. Landlords' applications from the 建融家园 APP (one row per application number and
company, unique), the 存房合同 a chosen company drafts (one per application), and each contract's
schedule of rent payable to the landlord (one row per period, unique). New tables only: plain
create_table / create_index, no batch.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consign_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("landlord_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("landlord_phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("landlord_id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("house_address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("house_area", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("layout", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("expected_rent", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("expected_months", sa.Integer(), nullable=False),
        sa.Column("submitted_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "chosen",
                "drafted",
                "signed",
                "lapsed",
                name="consignstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("chosen_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("app_pending", sa.Boolean(), nullable=False),
        sa.Column("app_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", "company_id", name="uq_consign_application_company"),
    )
    op.create_index(op.f("ix_consign_application_number"), "consign_application", ["number"], unique=False)
    op.create_index(op.f("ix_consign_application_company_id"), "consign_application", ["company_id"], unique=False)

    op.create_table(
        "consign_contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("landlord_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("landlord_phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("landlord_id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("house_address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("house_area", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("layout", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("monthly_rent", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column(
            "cycle", sa.Enum("1", "3", "6", "12", "0", name="paycycle", native_enum=False, length=16), nullable=False
        ),
        sa.Column(
            "bill_mode",
            sa.Enum("same_day", "month_start", name="billmode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("payee_bank", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("payee_card_no", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column(
            "state",
            sa.Enum("drafted", "active", name="consigncontractstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("drafted_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("signed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("app_pending", sa.Boolean(), nullable=False),
        sa.Column("app_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["consign_application.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_consign_contract_company_id"), "consign_contract", ["company_id"], unique=False)

    op.create_table(
        "consign_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("period_no", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["consign_contract.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "period_no", name="uq_consign_payment_period"),
    )
    op.create_index(op.f("ix_consign_payment_company_id"), "consign_payment", ["company_id"], unique=False)
    op.create_index(op.f("ix_consign_payment_contract_id"), "consign_payment", ["contract_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_consign_payment_contract_id"), table_name="consign_payment")
    op.drop_index(op.f("ix_consign_payment_company_id"), table_name="consign_payment")

    op.drop_table("consign_payment")
    op.drop_index(op.f("ix_consign_contract_company_id"), table_name="consign_contract")

    op.drop_table("consign_contract")
    op.drop_index(op.f("ix_consign_application_company_id"), table_name="consign_application")
    op.drop_index(op.f("ix_consign_application_number"), table_name="consign_application")

    op.drop_table("consign_application")
