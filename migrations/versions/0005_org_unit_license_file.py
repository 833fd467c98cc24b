"""org unit licence attachment

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("license_file", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_column("license_file")
