"""people by user id

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 08:45:00

Issue 18 "words, not identifiers": the columns that name a person (经办人, 申请人, 审批人, 登记人, ...)
stored the login (`manager`) and showed it. They now hold the user's id, a foreign key to app_user, and
the pages show the user's 姓名 through the engine's foreign-key labels. Existing values are mapped by
login (a login with no account, e.g. the `APP` of online contracts, becomes NULL). Batch mode: SQLite
rebuilds the tables; PostgreSQL alters them in place. A SQLite rebuild drops the search triggers
of 0017 on the table: they are made again (with their index) after it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from clss_app.admin.search import trigram_index_sql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# table: [(old login column, new user id column), ...]
PEOPLE: dict[str, list[tuple[str, str]]] = {
    "contract": [("created_by", "created_by_id")],
    "master_lease": [("created_by", "created_by_id")],
    "notification": [("created_by", "created_by_id")],
    "bad_debt": [("requested_by", "requested_by_id"), ("level1_by", "level1_by_id"), ("level2_by", "level2_by_id")],
    "bill_adjustment": [("requested_by", "requested_by_id"), ("decided_by", "decided_by_id")],
    "feedback": [("submitted_by", "submitted_by_id")],
    "room": [("locked_by", "locked_by_id")],
    "import_batch": [("cancelled_by", "cancelled_by_id")],
    "payment": [("username", "recorded_by_id")],
    "meter_reading": [("username", "read_by_id")],
}


# The rebuilt tables that 0017 gave a trigram index, with its columns then.
SEARCHED = {"room": ("number", "external_code"), "contract": ("number", "co_tenants"), "payment": ("receipt_no",)}


def restore_search_indexes() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL altered the tables in place: its GIN indexes stand
    for table, columns in SEARCHED.items():
        for sql in trigram_index_sql("sqlite", table, columns):
            op.execute(sql)


def to_ids_sql(table: str, old: str, new: str) -> str:
    """Fill the id column from the login column (the same SQL on SQLite and PostgreSQL)."""
    return f"UPDATE {table} SET {new} = (SELECT app_user.id FROM app_user WHERE app_user.username = {table}.{old})"


def to_logins_sql(table: str, old: str, new: str) -> str:
    return (
        f"UPDATE {table} SET {old} = COALESCE("
        f"(SELECT app_user.username FROM app_user WHERE app_user.id = {table}.{new}), '')"
    )


def upgrade() -> None:
    for table, pairs in PEOPLE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, new in pairs:
                batch_op.add_column(sa.Column(new, sa.Integer(), nullable=True))
                batch_op.create_foreign_key(f"fk_{table}_{new}_app_user", "app_user", [new], ["id"])
        for old, new in pairs:
            op.execute(to_ids_sql(table, old, new))
        with op.batch_alter_table(table, schema=None) as batch_op:
            for old, _ in pairs:
                batch_op.drop_column(old)
    # Import batches kept both; the demo's first one predates its user's row.
    op.execute(
        "UPDATE import_batch SET user_id = (SELECT app_user.id FROM app_user WHERE app_user.username ="
        " import_batch.username) WHERE user_id IS NULL"
    )
    restore_search_indexes()


def downgrade() -> None:
    for table, pairs in PEOPLE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for old, _ in pairs:
                batch_op.add_column(
                    sa.Column(old, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
                )
        for old, new in pairs:
            op.execute(to_logins_sql(table, old, new))
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, new in pairs:
                batch_op.drop_constraint(f"fk_{table}_{new}_app_user", type_="foreignkey")
                batch_op.drop_column(new)
    restore_search_indexes()
