"""money loop: online payment and the ledger's sources

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 10:22:11

Issue 20. 支付参数 per company, the daily clearing with the provider and its differences, what became of a reservation's 定金 and why a contract was voided, receipts numbered per company, (the signing key encrypted), payment orders and their bills, every provider
callback as it arrived, and tenants' prepaid balances. Each ledger line (payment row) now says where it
came from (source, source_ref) and which process made it when no person did. Existing lines get their
source from their method; a refund's bill holds the money given back as a negative paid amount, so
that per bill the ledger adds up to the paid amount (services/ledger.py).
Plain ADD COLUMN on payment (no batch): a SQLite batch rebuild would drop 0017's search triggers.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pay_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("merchant_no", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("terminal_no", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("key_cipher", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("key_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key_set_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("expire_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id"),
        sa.UniqueConstraint("merchant_no"),
    )
    op.create_table(
        "pay_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("merchant_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("provider_txn_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("posted", "duplicate", "late", "refused", name="callbackoutcome", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "exception",
            sa.Enum("none", "open", "refunded", name="exceptionstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pay_callback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_callback_company_id"), ["company_id"], unique=False)
        batch_op.create_index("ix_pay_callback_exception", ["exception", "received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pay_callback_order_no"), ["order_no"], unique=False)

    op.create_table(
        "pay_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "paid", "expired", "closed", name="payorderstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("expire_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("qr_content", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("provider_txn_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("paid_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
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
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_no"),
        sa.UniqueConstraint("provider", "provider_txn_id", name="uq_pay_order_provider_txn"),
    )
    with op.batch_alter_table("pay_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_order_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pay_order_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_pay_order_state_expire", ["state", "expire_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pay_order_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "balance_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("overpaid", "prepaid", "offset", "refund", name="balancekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("balance_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_balance_entry_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_balance_entry_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pay_order_bill",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["bill.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["pay_order.id"],
        ),
        sa.PrimaryKeyConstraint("order_id", "bill_id"),
    )
    with op.batch_alter_table("pay_order_bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_order_bill_bill_id"), ["bill_id"], unique=False)

    op.create_table(
        "clearing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("matched", "different", "resolved", name="clearingstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("provider_count", sa.Integer(), nullable=False),
        sa.Column("provider_total", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("ledger_count", sa.Integer(), nullable=False),
        sa.Column("ledger_total", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("open_differences", sa.Integer(), nullable=False),
        sa.Column("run_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "provider", "day", name="uq_clearing_company_day"),
    )
    with op.batch_alter_table("clearing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearing_company_id"), ["company_id"], unique=False)

    op.create_table(
        "clearing_difference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clearing_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("provider_only", "ledger_only", "amount", name="differencekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("txn_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("provider_amount", models.base.Money(precision=12, scale=2), nullable=True),
        sa.Column("ledger_amount", models.base.Money(precision=12, scale=2), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "state", sa.Enum("open", "resolved", name="differencestate", native_enum=False, length=16), nullable=False
        ),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clearing_id"],
            ["clearing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clearing_difference", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearing_difference_clearing_id"), ["clearing_id"], unique=False)
        batch_op.create_index("ix_clearing_difference_state", ["company_id", "state"], unique=False)

    op.create_table(
        "receipt_counter",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.PrimaryKeyConstraint("company_id"),
    )
    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount", models.base.Money(precision=12, scale=2), nullable=False),
        sa.Column("printed_count", sa.Integer(), nullable=False),
        sa.Column("printed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["printed_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("company_id", "number", name="uq_receipt_company_number"),
        sa.UniqueConstraint("payment_id"),
    )
    source = sa.Enum(
        "registration",
        "pay_order",
        "balance",
        "carry_over",
        "deposit",
        "refund",
        name="ledgersource",
        native_enum=False,
        length=16,
    )
    op.add_column("payment", sa.Column("source", source, server_default="registration", nullable=False))
    op.add_column("payment", sa.Column("source_ref", sa.String(length=64), server_default="", nullable=False))
    op.add_column("payment", sa.Column("process", sa.String(length=32), server_default="", nullable=False))
    deposit_state = sa.Enum(
        "held", "applied", "refund_due", "refunded", "forfeited", name="depositstate", native_enum=False, length=16
    )
    op.add_column("reservation", sa.Column("deposit_state", deposit_state, server_default="held", nullable=False))
    op.add_column("reservation", sa.Column("deposit_reason", sa.String(length=255), server_default="", nullable=False))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its reference, never a constraint
        op.execute("ALTER TABLE reservation ADD COLUMN deposit_by_id INTEGER REFERENCES app_user (id)")
    else:
        op.add_column("reservation", sa.Column("deposit_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "reservation", "app_user", ["deposit_by_id"], ["id"])
    op.add_column("contract", sa.Column("void_reason", sa.String(length=255), server_default="", nullable=False))
    # 定金 of the past: taken by its contract, given back on a cancellation, kept when the hold lapsed.
    op.execute("UPDATE reservation SET deposit_state = 'applied' WHERE state = 'converted'")
    op.execute("UPDATE reservation SET deposit_state = 'refunded' WHERE state = 'cancelled'")
    op.execute("UPDATE reservation SET deposit_state = 'forfeited' WHERE state = 'expired'")
    op.execute("UPDATE payment SET source = 'deposit' WHERE method = 'reservation_deposit'")
    op.execute("UPDATE payment SET source = 'carry_over' WHERE method = 'carry_over'")
    op.execute("UPDATE payment SET source = 'refund' WHERE amount < 0 AND receipt_no = '退款'")
    op.execute(
        "UPDATE bill SET paid = (SELECT COALESCE(SUM(p.amount), 0) FROM payment p WHERE p.bill_id = bill.id) "
        "WHERE state = 'refunded'"
    )


def downgrade() -> None:
    for table, column in (
        ("contract", "void_reason"),
        ("reservation", "deposit_by_id"),
        ("reservation", "deposit_reason"),
        ("reservation", "deposit_state"),
    ):
        op.drop_column(table, column)
    op.drop_table("receipt")
    op.drop_table("receipt_counter")
    op.drop_table("clearing_difference")
    op.drop_table("clearing")
    op.execute("UPDATE bill SET paid = 0 WHERE state = 'refunded'")
    for name in ("process", "source_ref", "source"):
        op.drop_column("payment", name)

    with op.batch_alter_table("pay_order_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_order_bill_bill_id"))

    op.drop_table("pay_order_bill")
    with op.batch_alter_table("balance_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balance_entry_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_balance_entry_company_id"))

    op.drop_table("balance_entry")
    with op.batch_alter_table("pay_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_order_tenant_id"))
        batch_op.drop_index("ix_pay_order_state_expire")
        batch_op.drop_index(batch_op.f("ix_pay_order_project_id"))
        batch_op.drop_index(batch_op.f("ix_pay_order_company_id"))

    op.drop_table("pay_order")
    with op.batch_alter_table("pay_callback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_callback_order_no"))
        batch_op.drop_index("ix_pay_callback_exception")
        batch_op.drop_index(batch_op.f("ix_pay_callback_company_id"))

    op.drop_table("pay_callback")
    op.drop_table("pay_settings")
