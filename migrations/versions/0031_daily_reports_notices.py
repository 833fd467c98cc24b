"""daily reports and notices: 交款日报 and 系统公告

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-02 19:00:00

Issue 22 items 4 and 5. A collector's day of registered payments (one row per collector and day, its
totals by method, 财务's 交款确认 with the amount handed in) and each payment's report
(``payment.daily_report_id``: a confirmed report's lines are locked). A branch's notices to roles of its
companies (or of some of them), with the days they show, and who has read each.
Plain ADD COLUMN on payment (no batch): a SQLite batch rebuild would drop 0017's search triggers.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

MONEY = models.base.Money(precision=12, scale=2)


def upgrade() -> None:
    op.create_table(
        "daily_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("cash", MONEY, nullable=False),
        sa.Column("transfer", MONEY, nullable=False),
        sa.Column("pos", MONEY, nullable=False),
        sa.Column("wechat", MONEY, nullable=False),
        sa.Column("other", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "confirmed", name="dailyreportstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("handed_in", MONEY, nullable=True),
        sa.Column("difference", MONEY, nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("generated_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collector_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collector_id", "day", name="uq_daily_report_collector_day"),
    )
    op.create_index("ix_daily_report_collector_id", "daily_report", ["collector_id"])
    op.create_index("ix_daily_report_company_id", "daily_report", ["company_id"])
    op.create_index("ix_daily_report_day", "daily_report", ["day"])
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its reference, never a constraint
        op.execute("ALTER TABLE payment ADD COLUMN daily_report_id INTEGER REFERENCES daily_report (id)")
    else:
        op.add_column("payment", sa.Column("daily_report_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "payment", "daily_report", ["daily_report_id"], ["id"])
    op.create_index("ix_payment_daily_report_id", "payment", ["daily_report_id"])

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("to_principal", sa.Boolean(), nullable=False),
        sa.Column("to_multi_store", sa.Boolean(), nullable=False),
        sa.Column("to_store_manager", sa.Boolean(), nullable=False),
        sa.Column("to_store_assistant", sa.Boolean(), nullable=False),
        sa.Column("to_finance", sa.Boolean(), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("draft", "published", "withdrawn", name="noticestate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("published_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_unit_id", "notice", ["unit_id"])
    op.create_index("ix_notice_state_days", "notice", ["state", "starts_on", "ends_on"])
    op.create_table(
        "notice_company",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.PrimaryKeyConstraint("notice_id", "company_id"),
    )
    op.create_index("ix_notice_company_company_id", "notice_company", ["company_id"])
    op.create_table(
        "notice_read",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("notice_id", "user_id"),
    )
    op.create_index("ix_notice_read_user_id", "notice_read", ["user_id"])


def downgrade() -> None:
    op.drop_table("notice_read")
    op.drop_table("notice_company")
    op.drop_table("notice")
    op.drop_index("ix_payment_daily_report_id", table_name="payment")
    op.drop_column("payment", "daily_report_id")
    op.drop_table("daily_report")
