"""tenant marketing: coupons held by tenants and applied to bills, bargains helped and bought, 赠险 once

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 09:00:00

Issue 23 items 3–6 (the domain side). ``tenant_coupon`` (a coupon a tenant holds, used once on one bill)
and ``coupon.used``/``coupon.fee_kind``; ``bargain_help`` (who cut how much) and a bargain's cut bounds
and stock; the tenant on flash claims, sign-ups, bargain records and feedback; an evaluation once per
contract and a gifted policy once per contract (unique indexes). Plain ADD COLUMN (no batch rebuild).
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

MONEY = models.base.Money(precision=12, scale=2)


def _ref_column(table: str, column: str, target: str) -> None:
    """A nullable reference column: SQLite adds it with its reference inline, never a constraint."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(None, table, target, [column], ["id"])


def upgrade() -> None:
    op.add_column("coupon", sa.Column("used", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("coupon", sa.Column("fee_kind", sa.String(length=16), nullable=True))
    op.create_table(
        "tenant_coupon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("discount", MONEY, nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["coupon_id"], ["coupon.id"]),
        sa.ForeignKeyConstraint(["granted_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("coupon_id", "tenant_id", "seq", name="uq_tenant_coupon_seq"),
    )
    op.create_index("ix_tenant_coupon_coupon_id", "tenant_coupon", ["coupon_id"])
    op.create_index("ix_tenant_coupon_company_id", "tenant_coupon", ["company_id"])
    op.create_index("ix_tenant_coupon_tenant_id", "tenant_coupon", ["tenant_id"])

    _ref_column("flash_claim", "tenant_id", "tenant")
    op.create_index("uq_flash_claim_tenant", "flash_claim", ["flash_sale_id", "tenant_id"], unique=True)
    _ref_column("event_signup", "tenant_id", "tenant")
    _ref_column("feedback", "tenant_id", "tenant")
    op.create_index("uq_evaluation_contract", "evaluation", ["contract_id"], unique=True)
    op.create_index(
        "uq_policy_gift_contract",
        "policy",
        ["contract_id"],
        unique=True,
        postgresql_where=sa.text("gifted"),
        sqlite_where=sa.text("gifted"),
    )

    op.add_column("bargain", sa.Column("min_cut", MONEY, nullable=False, server_default="1"))
    op.add_column("bargain", sa.Column("max_cut", MONEY, nullable=False, server_default="50"))
    op.add_column("bargain", sa.Column("stock", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("bargain", sa.Column("sold", sa.Integer(), nullable=False, server_default="0"))
    _ref_column("bargain_record", "tenant_id", "tenant")
    op.add_column("bargain_record", sa.Column("bought_price", MONEY, nullable=True))
    op.add_column("bargain_record", sa.Column("bought_at", models.base.UTCDateTime(), nullable=True))
    op.add_column("bargain_record", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("uq_bargain_record_tenant", "bargain_record", ["bargain_id", "tenant_id"], unique=True)
    op.create_table(
        "bargain_help",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("bargain_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("price_after", MONEY, nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bargain_id"], ["bargain.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["bargain_record.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "tenant_id", name="uq_bargain_help_tenant"),
    )
    op.create_index("ix_bargain_help_record_id", "bargain_help", ["record_id"])
    op.create_index("ix_bargain_help_project_id", "bargain_help", ["project_id"])


def downgrade() -> None:
    op.drop_table("bargain_help")
    op.drop_index("uq_bargain_record_tenant", "bargain_record")
    op.drop_index("uq_policy_gift_contract", "policy")
    op.drop_index("uq_evaluation_contract", "evaluation")
    op.drop_index("uq_flash_claim_tenant", "flash_claim")
    op.drop_table("tenant_coupon")
    for table, columns in {
        "bargain_record": ("tenant_id", "bought_price", "bought_at", "version"),
        "bargain": ("min_cut", "max_cut", "stock", "sold"),
        "feedback": ("tenant_id",),
        "event_signup": ("tenant_id",),
        "flash_claim": ("tenant_id",),
        "coupon": ("used", "fee_kind"),
    }.items():
        with op.batch_alter_table(table) as batch:
            for c in columns:
                batch.drop_column(c)
