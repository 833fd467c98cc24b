"""search trigram indexes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 08:50:00

Search finds what staff type (issue 18): a substring of a tenant's name or phone, a room number, a
contract number, found through an index rather than a scan of the table (clss_app/admin/search.py).
SQLite: an FTS5 trigram table per searched table, kept current by triggers; PostgreSQL: pg_trgm GIN
indexes. A later migration that rebuilds one of these tables in SQLite batch mode drops its triggers:
re-create them there (search.py then falls back to LIKE until it does; a unit test names it).
"""

from alembic import op

from clss_app.admin.search import drop_trigram_index_sql, trigram_index_sql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The text columns that the lists' search declarations (pages/*.py) reach, by table.
INDEXED = {
    "tenant": ("name", "phone", "id_number"),
    "room": ("number", "external_code"),
    "contract": ("number", "co_tenants"),
    "bill": ("title",),
    "appointment": ("name", "phone"),
    "payment": ("receipt_no",),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in INDEXED.items():
        for sql in trigram_index_sql(dialect, table, columns):
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in INDEXED.items():
        for sql in drop_trigram_index_sql(dialect, table, columns):
            op.execute(sql)
