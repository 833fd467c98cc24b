"""The search box of a list: declared paths, who may search what, and SQL that an index serves.

A ``search`` declaration names text fields of the admin's model and, through its foreign keys, of
related models: ``search = ["number", "tenant.name", "tenant.phone", "room.number"]``. A segment
before the last names a relation by its foreign key (``tenant`` is ``tenant_id``; the column's own
name works too); paths may go several hops (``contract.tenant.name`` on a bill). The checks
(checks.py) name a bad path at start-up.

What a typed text matches: each word (split on spaces, every word must match) is a substring of one
of the searched fields. The SQL finds the ids first, in the tables that hold the text, and filters
the list's table by them through its foreign-key indexes:

    contract.id IN (SELECT id FROM contract WHERE tenant_id IN (SELECT id FROM tenant WHERE …)
                    UNION SELECT rowid FROM contract__trgm WHERE contract__trgm MATCH '{number}: "…"' …)

so a rare name costs a few index probes whatever the size of the list's table. The indexes:

- SQLite: an FTS5 table with the trigram tokenizer per searched table (``<table>__trgm``, external
  content, kept current by triggers on the table: a write outside the ORM keeps it current too).
  A word of 3 characters or more is a phrase ``MATCH``; the trigram index needs 3, so a word of 1 or 2
  characters (a surname: 赵) is a ``LIKE`` — over the related table (tenants, rooms: small beside
  contracts or bills) and then the same indexed ``IN`` on the foreign key; over the list's own
  columns it reads the rows the scope and the other conditions leave.
- PostgreSQL: a GIN ``pg_trgm`` index per searched column; ``LIKE '%…%'`` uses it for 3 characters
  or more, the planner reads the (small) related table for fewer.

An index that is missing (a table rebuilt by a later migration lost its triggers) is noticed and the
word is matched by ``LIKE``: slower, never wrong. Personal data: a field hidden from a role, or shown
to it masked (privacy.py), is not searched for that role — a search by a full phone number would tell
a role that reads 138****1234 the rest of it.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from clss_app.admin import privacy
from clss_app.admin.fields import FieldSpec, column, infer_fields, label_attr, table_of
from clss_app.core.principal import Principal

SEARCHABLE = ("str", "text")
TRGM = "__trgm"  # <table>__trgm: the SQLite FTS5 trigram table of <table>
MIN_TRIGRAM = 3  # a trigram index finds words of at least this many characters
TAIL = 5  # a longer word is looked up by its last 5 characters (3 trigrams), then checked whole
MAX_WORDS = 5


class PathError(ValueError):
    """A search path that names no text field (the message names the bad part)."""


@dataclass(frozen=True)
class Hop:
    column: str  # the foreign key on the model the hop leaves
    target: type[SQLModel]


@dataclass(frozen=True)
class Path:
    text: str  # as declared: "tenant.name"
    hops: tuple[Hop, ...]
    model: type[SQLModel]  # the model holding the field
    field: str

    @property
    def own(self) -> bool:
        return not self.hops


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


@cache
def _fields(model: type[SQLModel]) -> dict[str, FieldSpec]:
    return infer_fields(model)


@cache
def resolve(model: type[SQLModel], text: str) -> Path:
    """The path ``text`` declares on ``model``; ``PathError`` names what is wrong in it."""
    parts = text.split(".")
    if any(not part for part in parts):
        raise PathError(f"`{text}`: a path is field names joined by dots (tenant.name)")
    hops: list[Hop] = []
    current = model
    for seg in parts[:-1]:
        fields = _fields(current)
        name = seg if seg in fields and fields[seg].kind == "fk" else f"{seg}_id"
        spec = fields.get(name)
        if spec is None or spec.kind != "fk" or spec.fk_model is None:
            relations = [n.removesuffix("_id") for n, s in fields.items() if s.kind == "fk"]
            raise PathError(
                f"`{text}`: `{seg}` is no relation of {current.__name__} (a foreign key `{seg}_id`)"
                f"{_suggest(seg, relations)}"
            )
        hops.append(Hop(name, spec.fk_model))
        current = spec.fk_model
    last, fields = parts[-1], _fields(current)
    if last not in fields:
        raise PathError(f"`{text}`: no such field on {current.__name__}{_suggest(last, list(fields))}")
    if fields[last].kind not in SEARCHABLE:
        raise PathError(f"`{text}`: a {fields[last].kind} field cannot be searched (only text)")
    return Path(text, tuple(hops), current, last)


# ---------------------------------------------------------------- who may search what


def _admins_of(admin: Any, model: type[SQLModel]) -> list[Any]:
    site = getattr(admin, "site", None)
    if site is None:
        return []
    return [a for a in site.admins() if a.model is model]


def _sees(admin: Any, p: Principal | None, name: str) -> bool:
    """``p`` reads ``admin``'s field ``name`` in full: not hidden from its role, not masked for it."""
    if not admin.visible(p, [name]):
        return False
    spec = admin.fields.get(name)
    return spec is None or not privacy.masked(spec, p)


def searchable(admin: Any, p: Principal | None) -> list[str]:
    """The declared search paths ``p``'s role may search: every field on the way is one it sees in full,
    on this admin and on every admin of the model the path ends on (a tenant's phone masked on 租客管理
    is masked when reached from 合同列表 too)."""
    out = []
    for text in admin.search:
        if "." not in text:
            if _sees(admin, p, text):
                out.append(text)
            continue
        path = resolve(admin.model, text)
        if not _sees(admin, p, path.hops[0].column):
            continue
        if all(_sees(other, p, path.field) for other in _admins_of(admin, path.model)):
            out.append(text)
    return out


def label(admin: Any, text: str) -> str:
    """How the search box names a path: 合同编号, 租客 (a relation's label field), 租客手机号."""
    if "." not in text:
        return admin.fields[text].label
    path = resolve(admin.model, text)
    hop = path.hops[-1]
    owner = admin.model if len(path.hops) == 1 else path.hops[-2].target
    via = admin.fields[hop.column].label if owner is admin.model else _fields(owner)[hop.column].label
    if path.field == label_attr(path.model):
        return via
    return via + _fields(path.model)[path.field].label


def labels(admin: Any, p: Principal | None) -> str:
    """The placeholder's list of what the search matches, for ``p``: 合同编号/租客/租客手机号/房间."""
    seen: list[str] = []
    for text in searchable(admin, p):
        name = label(admin, text)
        if name not in seen:
            seen.append(name)
    return "/".join(seen)


# ---------------------------------------------------------------- the indexes


def trigram_index_sql(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """The statements that create ``table``'s trigram index on ``columns`` and keep it current.

    SQLite: an external-content FTS5 table (the text is not stored twice) filled once, and triggers
    after insert, delete and an update of those columns (run again, they build it anew). PostgreSQL:
    one GIN pg_trgm index a column.
    """
    if dialect == "sqlite":
        fts, cols = f"{table}{TRGM}", ", ".join(columns)
        new, old = ", ".join(f"new.{c}" for c in columns), ", ".join(f"old.{c}" for c in columns)
        forget = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
        learn = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
        return [
            *drop_trigram_index_sql(dialect, table, columns),  # a table left by a dropped schema: built anew
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', tokenize='trigram')",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {learn} END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {forget} END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN {forget} {learn} END",
        ]
    if dialect == "postgresql":
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
            f"CREATE INDEX IF NOT EXISTS ix_{table}_{c}{TRGM} ON {table} USING gin ({c} gin_trgm_ops)" for c in columns
        ]
    return []


def drop_trigram_index_sql(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    if dialect == "sqlite":
        fts = f"{table}{TRGM}"
        return [f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")] + [f"DROP TABLE IF EXISTS {fts}"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS ix_{table}_{c}{TRGM}" for c in columns]
    return []


def not_an_index_object(name: str | None, type_: str, parent_names: Any = None) -> bool:
    """Alembic's ``include_name``: the trigram tables and indexes are no model's (the schema comparison
    leaves them alone)."""
    return not (name and TRGM in name)


_INVENTORY: weakref.WeakKeyDictionary[sa.Engine, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def sqlite_indexes(session: Session) -> dict[str, frozenset[str]]:
    """{table: columns} of the SQLite trigram tables that are whole (the table and its three triggers),
    read once per engine."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        return {}
    found = _INVENTORY.get(engine)
    if found is None:
        conn = session.connection()
        rows = conn.exec_driver_sql(
            "SELECT name, type FROM sqlite_master WHERE name LIKE ? ESCAPE '\\'", ("%\\_\\_trgm%",)
        ).all()
        names = {(n, t) for n, t in rows}
        found = {}
        for name, kind in names:
            if kind != "table" or not name.endswith(TRGM):
                continue
            if not all((f"{name}_{t}", "trigger") in names for t in ("ai", "ad", "au")):
                continue  # a rebuilt table lost its triggers: the index is no longer current
            cols = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")').all()]
            found[name.removesuffix(TRGM)] = frozenset(cols)
        _INVENTORY[engine] = found
    return found


# ---------------------------------------------------------------- the SQL


@dataclass
class _Node:
    model: type[SQLModel]
    fields: list[str] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


def _tree(model: type[SQLModel], paths: Sequence[Path]) -> _Node:
    root = _Node(model)
    for path in paths:
        node = root
        for hop in path.hops:
            node = node.children.setdefault(hop.column, _Node(hop.target))
        if path.field not in node.fields:
            node.fields.append(path.field)
    return root


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(columns: Sequence[str], word: str) -> str:
    return "{" + " ".join(columns) + '} : "' + word.replace('"', '""') + '"'


def _conditions(node: _Node, word: str, fts: dict[str, frozenset[str]]) -> list[Any]:
    """Conditions on ``node.model``, one per way a row holds ``word``: in its own fields (the trigram
    table's MATCH, else LIKE) or in a related row's (its foreign key IN that table's matching ids)."""
    model = node.model
    pk, table = column(model, "id"), table_of(model).name
    out: list[Any] = []
    indexed = [f for f in node.fields if f in fts.get(table, ()) and len(word) >= MIN_TRIGRAM]
    if indexed:
        # FTS5 reads the whole list of rows of each trigram of a phrase: the last TAIL characters (the
        # most telling part of a number: HT2026…0206) are looked up, the whole word checked on those rows.
        tail = word[-TAIL:]
        t = sa.table(f"{table}{TRGM}", sa.column("rowid"))
        match = sa.text(f"{table}{TRGM} MATCH :q").bindparams(
            sa.bindparam("q", _fts_phrase(indexed, tail), unique=True)
        )
        found: Any = pk.in_(sa.select(t.c.rowid).where(match))
        if tail != word:
            found = sa.and_(found, sa.or_(*[column(model, f).like(_like(word), escape="\\") for f in indexed]))
        out.append(found)
    out += [column(model, f).like(_like(word), escape="\\") for f in node.fields if f not in indexed]
    for fk, child in node.children.items():
        out.append(column(model, fk).in_(_ids(child, word, fts)))
    return out


def _ids(node: _Node, word: str, fts: dict[str, frozenset[str]]) -> Any:
    """SELECT of the ids of ``node.model``'s rows holding ``word``. A word the trigram indexes find is a
    UNION of one SELECT a condition, each served by its own index (an OR would read the whole table);
    a shorter one reads the table once, with every condition."""
    pk = column(node.model, "id")
    conds = _conditions(node, word, fts)
    if len(word) < MIN_TRIGRAM or len(conds) == 1:
        return select(pk).where(sa.or_(*conds))
    return sa.union(*[select(pk).where(c) for c in conds])


def clause(session: Session | None, admin: Any, p: Principal | None, text: str) -> Any | None:
    """The condition on ``admin.model`` that the search ``text`` sets for ``p``, or None (no search)."""
    names = searchable(admin, p)
    words = text.replace("\x00", " ").split()[:MAX_WORDS]  # PostgreSQL refuses a NUL in a text parameter
    if not words or not names:
        return None
    tree = _tree(admin.model, [resolve(admin.model, n) for n in names])
    fts = sqlite_indexes(session) if session is not None else {}
    pk = column(admin.model, "id")
    dialect = session.get_bind().dialect.name if session is not None else ""
    # A column of the list's own table that no index serves (SQLite: not in its trigram table) is read
    # row by row whatever the form: then an OR, which the list's order stops at a full page.
    own = fts.get(table_of(admin.model).name, frozenset())
    scanned = dialect != "postgresql" and any(f not in own for f in tree.fields)
    out = []
    for word in words:
        if len(word) < MIN_TRIGRAM or scanned:
            # No index finds it: the list's own order reads rows until the page is full (a surname:
            # soon), the related tables (small) are searched once for their ids.
            out.append(sa.or_(*_conditions(tree, word, fts)))
        else:
            out.append(pk.in_(_ids(tree, word, fts)))
    return sa.and_(*out)
