"""outbox: notifications delivered (站内信, SMS, the staff bell)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 09:00:00

Issue 23 item 7. The existing 消息通知 (``notification``) becomes the one outbox: its target (a tenant,
the tenants of a project or city, a role in a scope, an event's sign-ups), where it came from, and
what sending it did (attempts, the next retry, the lease of the worker sending it, the reason of a
failure, how many it reached). Each recipient is a ``notification_message`` (a tenant's 站内信 read or
unread, a staff member's bell item, one SMS), unique per notification and recipient.
Plain ADD COLUMN (no batch) on ``notification``: its rows and foreign keys stay as they are.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=max(16, *(len(v) for v in values)))


def upgrade() -> None:
    # Batch (a copy on SQLite, which cannot add a foreign key to a table in place; plain ALTERs on PostgreSQL).
    with op.batch_alter_table("notification") as b:
        b.add_column(sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=""))
        b.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        b.add_column(
            sa.Column("roles", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False, server_default="")
        )
        b.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        b.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="人工")
        )
        b.add_column(sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        b.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("next_try_at", models.base.UTCDateTime(), nullable=True))
        b.add_column(sa.Column("claimed_until", models.base.UTCDateTime(), nullable=True))
        b.add_column(
            sa.Column("fail_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False, server_default="")
        )
        b.add_column(sa.Column("recipients", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("sent_at", models.base.UTCDateTime(), nullable=True))
        b.create_foreign_key("fk_notification_tenant_id", "tenant", ["tenant_id"], ["id"])
        b.create_foreign_key("fk_notification_event_id", "event", ["event_id"], ["id"])
        b.create_index("ix_notification_source_key", ["source_key"], unique=True)
        b.create_index("ix_notification_due", ["state", "scheduled_at"])

    op.create_table(
        "notification_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("channel", _enum("app", "sms", "inbox", "bell", name="channel"), nullable=False),
        sa.Column("state", _enum("pending", "sending", "sent", "failed", name="messagestate"), nullable=False),
        sa.Column("fail_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("provider_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("read_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "recipient", name="uq_notification_message_recipient"),
    )
    op.create_index("ix_notification_message_notification_id", "notification_message", ["notification_id"])
    op.create_index("ix_notification_message_tenant", "notification_message", ["tenant_id", "id"])
    op.create_index("ix_notification_message_user", "notification_message", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_table("notification_message")
    with op.batch_alter_table("notification") as b:
        b.drop_index("ix_notification_due")
        b.drop_index("ix_notification_source_key")
        b.drop_constraint("fk_notification_event_id", type_="foreignkey")
        b.drop_constraint("fk_notification_tenant_id", type_="foreignkey")
        for col in (
            "sent_at",
            "recipients",
            "fail_reason",
            "claimed_until",
            "next_try_at",
            "attempts",
            "source_key",
            "source",
            "event_id",
            "roles",
            "tenant_id",
            "city",
        ):
            b.drop_column(col)
