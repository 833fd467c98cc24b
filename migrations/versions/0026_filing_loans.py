"""filing and loans: 网签备案 on contracts, 按居贷 parameters and loans

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 15:13:28

Issue 21, items 5 and 8. A contract's 政府备案 (state, filing number and time, the last failure's note);
each project's 贷款参数 (mode, quota, what is used of it); every 按居贷 loan (one pending or approved loan
per bill: a partial unique index); a loan posted once on the ledger (a partial unique index on payment's
source_ref, as 0022's for withholding).
Plain ADD COLUMN and CREATE INDEX on contract and payment (no batch): a SQLite batch rebuild would drop
0017's search triggers.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loan_param",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode", sa.Enum("credit", "guarantee", name="loanmode", native_enum=False, length=16), nullable=False
        ),
        sa.Column("quota", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("used", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
    )
    with op.batch_alter_table("loan_param", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_param_company_id"), ["company_id"], unique=False)

    op.create_table(
        "loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode", sa.Enum("credit", "guarantee", name="loanmode", native_enum=False, length=16), nullable=False
        ),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("credit_line", models.base.Money(precision=12, scale=2), nullable=True),
        sa.Column(
            "state",
            sa.Enum("pending", "approved", "refused", name="loanstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("bank_ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index("ix_loan_project_state", ["project_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_loan_open_bill",
            ["bill_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'approved')"),
            postgresql_where=sa.text("state IN ('pending', 'approved')"),
        )

    op.add_column(
        "contract",
        sa.Column(
            "filing_state",
            sa.Enum("none", "filing", "filed", name="filingstate", native_enum=False, length=16),
            server_default="none",
            nullable=False,
        ),
    )
    op.add_column(
        "contract",
        sa.Column("filing_no", sqlmodel.sql.sqltypes.AutoString(length=32), server_default="", nullable=False),
    )
    op.add_column("contract", sa.Column("filed_at", models.base.UTCDateTime(), nullable=True))
    op.add_column(
        "contract",
        sa.Column("filing_note", sqlmodel.sql.sqltypes.AutoString(length=255), server_default="", nullable=False),
    )
    op.create_index(
        "uq_payment_loan_ref",
        "payment",
        ["source_ref"],
        unique=True,
        sqlite_where=sa.text("source = 'loan'"),
        postgresql_where=sa.text("source = 'loan'"),
    )


def downgrade() -> None:
    op.drop_index("uq_payment_loan_ref", table_name="payment")
    op.drop_column("contract", "filing_note")
    op.drop_column("contract", "filed_at")
    op.drop_column("contract", "filing_no")
    op.drop_column("contract", "filing_state")

    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_loan_open_bill",
            sqlite_where=sa.text("state IN ('pending', 'approved')"),
            postgresql_where=sa.text("state IN ('pending', 'approved')"),
        )
        batch_op.drop_index(batch_op.f("ix_loan_tenant_id"))
        batch_op.drop_index("ix_loan_project_state")
        batch_op.drop_index(batch_op.f("ix_loan_contract_id"))
        batch_op.drop_index(batch_op.f("ix_loan_company_id"))

    op.drop_table("loan")
    with op.batch_alter_table("loan_param", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_param_company_id"))

    op.drop_table("loan_param")
