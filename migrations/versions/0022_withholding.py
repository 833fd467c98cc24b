"""withholding: 代扣协议, runs and their lines

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 10:48:47

Issue 20, 银行批量代扣. Tenants' withholding agreements (one in force per tenant and company: a partial
unique index), the runs sent to the bank and their lines (a bill waits in one line at most: a partial
unique index on the waiting lines' bill; a bank transaction pays one line: unique per bank), a
withholding line posted once on the ledger (a partial unique index on payment's source_ref), each
project's 代扣开始日 and each bill's last withholding failure.
Plain ADD COLUMN and CREATE INDEX on bill and payment (no batch): a SQLite batch rebuild would drop
0017's search triggers; project has none, but stays plain too.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withhold_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("card_no", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("holder_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bank_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "terminated", name="agreementstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "sign_mode", sa.Enum("single", "batch", name="signmode", native_enum=False, length=16), nullable=False
        ),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("withhold_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withhold_agreement_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_agreement_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_withhold_agreement_active",
            ["company_id", "tenant_id"],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )

    op.create_table(
        "withhold_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum("manual", "scheduled", "resend", name="runorigin", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum("generated", "sent", "returned", "cancelled", name="runstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("entrust_no", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("collect_account", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("amount_total", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("succeeded_count", sa.Integer(), nullable=False),
        sa.Column("succeeded_amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("failed_amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("to_resend", sa.Boolean(), nullable=False),
        sa.Column("request_file", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("request_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result_file", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("bank_batch_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("returned_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["withhold_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("withhold_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withhold_run_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_run_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            "uq_withhold_run_scheduled",
            ["project_id", "day"],
            unique=True,
            sqlite_where=sa.text("origin = 'scheduled'"),
            postgresql_where=sa.text("origin = 'scheduled'"),
        )

    op.create_table(
        "withhold_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("card_no", sqlmodel.sql.sqltypes.AutoString(length=19), nullable=False),
        sa.Column("holder_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "succeeded", "failed", "cancelled", name="linestate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "insufficient",
                "card_abnormal",
                "account_closed",
                "name_mismatch",
                "no_agreement",
                "over_limit",
                "other",
                name="failreason",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("bank_message", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("bank", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("bank_txn_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("finished_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["withhold_agreement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
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
            ["run_id"],
            ["withhold_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bank", "bank_txn_id", name="uq_withhold_line_bank_txn"),
        sa.UniqueConstraint("run_id", "line_no", name="uq_withhold_line_run_no"),
    )
    with op.batch_alter_table("withhold_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withhold_line_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_line_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_line_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_line_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_withhold_line_run_state", ["run_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_withhold_line_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "uq_withhold_line_waiting_bill",
            ["bill_id"],
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )

    op.add_column(
        "bill",
        sa.Column("withhold_failure", sqlmodel.sql.sqltypes.AutoString(length=64), server_default="", nullable=False),
    )
    op.create_index(
        "uq_payment_withholding_ref",
        "payment",
        ["source_ref"],
        unique=True,
        sqlite_where=sa.text("source = 'withholding'"),
        postgresql_where=sa.text("source = 'withholding'"),
    )
    op.add_column("project", sa.Column("withhold_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("project", "withhold_day")
    op.drop_index("uq_payment_withholding_ref", table_name="payment")
    op.drop_column("bill", "withhold_failure")

    with op.batch_alter_table("withhold_line", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_withhold_line_waiting_bill",
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_withhold_line_tenant_id"))
        batch_op.drop_index("ix_withhold_line_run_state")
        batch_op.drop_index(batch_op.f("ix_withhold_line_project_id"))
        batch_op.drop_index(batch_op.f("ix_withhold_line_company_id"))
        batch_op.drop_index(batch_op.f("ix_withhold_line_bill_id"))
        batch_op.drop_index(batch_op.f("ix_withhold_line_agreement_id"))

    op.drop_table("withhold_line")
    with op.batch_alter_table("withhold_run", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_withhold_run_scheduled",
            sqlite_where=sa.text("origin = 'scheduled'"),
            postgresql_where=sa.text("origin = 'scheduled'"),
        )
        batch_op.drop_index(batch_op.f("ix_withhold_run_parent_id"))
        batch_op.drop_index(batch_op.f("ix_withhold_run_company_id"))

    op.drop_table("withhold_run")
    with op.batch_alter_table("withhold_agreement", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_withhold_agreement_active",
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_withhold_agreement_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_withhold_agreement_company_id"))

    op.drop_table("withhold_agreement")
