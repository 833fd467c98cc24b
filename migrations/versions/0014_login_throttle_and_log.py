"""login throttle and log, idle sessions, download tickets bound to their session

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 00:20:19.854016
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", "address"),
    )
    op.create_table(
        "login_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "success",
                "failed",
                "unknown",
                "throttled",
                "locked",
                "inactive",
                "lock",
                "unlock",
                name="loginoutcome",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_log_org_unit_id"), ["org_unit_id"], unique=False)

    # The failure count moved to login_throttle.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")

    # A session's last activity starts at its login; sessions from before have no download key, so
    # their downloads need a new login.
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "download_key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
    op.execute("UPDATE user_session SET last_seen_at = created_at")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.alter_column("last_seen_at", existing_type=models.base.UTCDateTime(), nullable=False)

    # Tickets live ten minutes and belong to no session yet: they are dropped rather than guessed at.
    op.execute("DELETE FROM download_ticket")
    with op.batch_alter_table("download_ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=False))
        batch_op.create_foreign_key("fk_download_ticket_session_id", "user_session", ["session_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("download_ticket", schema=None) as batch_op:
        batch_op.drop_constraint("fk_download_ticket_session_id", type_="foreignkey")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_column("download_key_hash")
        batch_op.drop_column("last_seen_at")

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("login_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_log_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_login_log_at"))

    op.drop_table("login_log")
    op.drop_table("login_throttle")
