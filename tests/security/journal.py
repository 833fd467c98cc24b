"""Which rows of which tables changed while a case ran: a journal kept by the database itself.

For the suite's duration every table of the app's database gets row triggers that append
(table, operation, row id) to ``sec_journal``; a case reads the entries after its own mark. Exact
(an UPDATE that rewrites a row with the same values counts too), names the rows, and costs a
trigger per write instead of a checksum of the whole database per case. The triggers and the
journal table are dropped again at the end. ``digest`` is the whole-database cross-check: row count
and checksum of every table, compared before and after the suite.
"""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa

JOURNAL = "sec_journal"


class Journal:
    def __init__(self, url: str):
        self.engine = sa.create_engine(url)
        self.pg = self.engine.dialect.name == "postgresql"
        # The search indexes (``<table>__trgm``, FTS5 on SQLite) follow their table by its own triggers:
        # a virtual table takes none, and a change to one is a change to the table it indexes.
        names = sa.inspect(self.engine).get_table_names()
        self.tables = [t for t in names if t not in (JOURNAL, "alembic_version") and "__trgm" not in t]

    def install(self) -> None:
        with self.engine.begin() as conn:
            if self.pg:
                conn.exec_driver_sql(
                    f"CREATE TABLE IF NOT EXISTS {JOURNAL} (id bigserial PRIMARY KEY, tbl text, op text, row_key text)"
                )
                conn.exec_driver_sql(f"""
                    CREATE OR REPLACE FUNCTION {JOURNAL}_fn() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      INSERT INTO {JOURNAL}(tbl, op, row_key) VALUES (TG_TABLE_NAME, lower(TG_OP),
                        coalesce(to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END)->>'id', ''));
                      RETURN NULL;
                    END $$""")
                for t in self.tables:
                    conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS {JOURNAL}_t ON "{t}"')
                    conn.exec_driver_sql(
                        f'CREATE TRIGGER {JOURNAL}_t AFTER INSERT OR UPDATE OR DELETE ON "{t}" '
                        f"FOR EACH ROW EXECUTE FUNCTION {JOURNAL}_fn()"
                    )
            else:
                conn.exec_driver_sql(
                    f"CREATE TABLE IF NOT EXISTS {JOURNAL} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                    "tbl TEXT, op TEXT, row_key TEXT)"
                )
                for t in self.tables:
                    for op, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
                        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {JOURNAL}_{t}_{op}")
                        conn.exec_driver_sql(
                            f'CREATE TRIGGER {JOURNAL}_{t}_{op} AFTER {op.upper()} ON "{t}" BEGIN '
                            f"INSERT INTO {JOURNAL}(tbl, op, row_key) VALUES ('{t}', '{op}', {row}.rowid); END"
                        )

    def uninstall(self) -> None:
        with self.engine.begin() as conn:
            for t in self.tables:
                if self.pg:
                    conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS {JOURNAL}_t ON "{t}"')
                else:
                    for op in ("insert", "update", "delete"):
                        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {JOURNAL}_{t}_{op}")
            if self.pg:
                conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {JOURNAL}_fn() CASCADE")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {JOURNAL}")
        self.engine.dispose()

    def start(self) -> None:
        """Remember where the suite began: every table's digest and the journal's mark."""
        self.started_at, self.started = self.mark(), self.digest()

    def unjournaled_changes(self) -> list[str]:
        """Tables whose rows changed since ``start`` although the journal saw no write to them."""
        with self.engine.connect() as conn:
            seen = {
                r[0]
                for r in conn.exec_driver_sql(f"SELECT DISTINCT tbl FROM {JOURNAL} WHERE id > {int(self.started_at)}")
            }
        now = self.digest()
        return [t for t in self.tables if now.get(t) != self.started.get(t) and t not in seen]

    def mark(self) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {JOURNAL}").scalar()

    def since(self, mark: int) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.exec_driver_sql(
                    f"SELECT tbl, op, row_key FROM {JOURNAL} WHERE id > {int(mark)} ORDER BY id LIMIT 200"
                )
            ]

    def quiet(self, seconds: float = 1.0, timeout: float = 60) -> None:
        """Wait until nothing has written for ``seconds`` (the daily job the app runs when it starts)."""
        deadline = time.time() + timeout
        last = self.mark()
        while time.time() < deadline:
            time.sleep(seconds)
            now = self.mark()
            if now == last:
                return
            last = now

    def digest(self) -> dict[str, tuple[int, str]]:
        """Row count and a checksum of the rows of every table."""
        out = {}
        with self.engine.connect() as conn:
            for t in self.tables:
                if self.pg:
                    n, h = conn.exec_driver_sql(
                        f'SELECT count(*), coalesce(sum(hashtextextended(x::text, 0)), 0)::text FROM "{t}" x'
                    ).one()
                    out[t] = (n, h)
                else:
                    h, n = hashlib.sha256(), 0
                    for row in conn.exec_driver_sql(f'SELECT * FROM "{t}" ORDER BY rowid'):
                        h.update(repr(tuple(row)).encode())
                        n += 1
                    out[t] = (n, h.hexdigest())
        return out
