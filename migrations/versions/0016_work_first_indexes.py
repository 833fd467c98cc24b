"""work first indexes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 04:55:00

The lists open on the work waiting (issue 18): 账单管理 unpaid first by due date, 合同列表 执行中 first
by end date. Each part is paged as a plain ORDER BY (clss_app/admin/query.py); these indexes serve them.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_due")
        batch_op.create_index("ix_bill_due_state", ["due_date", "state"], unique=False)
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index("ix_contract_state_end", ["state", "end_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_state_end")
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_due_state")
        batch_op.create_index("ix_bill_due", ["due_date"], unique=False)
