"""SQL for a list page: data scope, search, filters, sort, page and count.

The list query lives in the URL; ``ListQuery`` is its parsed form. Paging
uses a deferred join: the page's ids come from an index-only scan of the
sort index (``ORDER BY sort, id LIMIT … OFFSET …``) and only those 50 rows
are read in full, so a deep page on a million rows costs an index walk,
not a table walk. A default order that puts a state group first (``Sort``)
is paged as two runs, each a plain ``ORDER BY`` on columns that an index
serves, rather than one ``ORDER BY CASE …`` that sorts the whole table.
A capped count never counts past ``count_cap``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin import many, privacy, search
from clss_app.admin.fields import HINT, MAX_INT, SHANGHAI, FieldSpec, column, label_attr
from clss_app.admin.options import Count
from clss_app.core.errors import FieldError
from clss_app.services.permissions import Principal

MAX_PAGE = 1_000_000
MAX_SEARCH = 64
MAX_FILTER = 1000  # room for a drill-down list of ids
RANGE_OPS = ("", "gte", "lte")
MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")  # a timestamp bound to the minute


@dataclass
class ListQuery:
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)  # "status" / "amount__gte" -> raw text
    sort: str = ""  # "amount" or "-amount"
    page: int = 1
    page_size: int = 20

    @classmethod
    def from_params(cls, params: dict[str, str], admin, p: Principal | None) -> ListQuery:
        """The query a URL asks for, less what ``problems`` refuses (an old or shared link still opens)."""

        def _int(v, default):
            try:
                return int(v)
            except (TypeError, ValueError):
                return default

        wanted = cls(
            q=str(params.get("q", "")),
            sort=str(params.get("sort", "") or admin.default_key()),
            filters={k[2:]: str(v) for k, v in params.items() if k.startswith("f_") and v},
            page=_int(params.get("page"), 1),
            page_size=_int(params.get("size"), admin.page_sizes[0]),
        )
        bad = wanted.problems(admin, p)
        return cls(
            q=wanted.q[:MAX_SEARCH],
            sort=admin.default_key() if "sort" in bad else wanted.sort,
            filters={k: v[:MAX_FILTER] for k, v in wanted.filters.items() if f"f_{k}" not in bad},
            page=min(max(wanted.page, 1), MAX_PAGE),
            page_size=admin.page_sizes[0] if "size" in bad else wanted.page_size,
        )

    def problems(self, admin, p: Principal | None) -> dict[str, str]:
        """{part: Chinese message} for what this query asks that ``admin`` does not declare for ``p``'s role.

        The one judge of list arguments, whether they come from a URL (dropped) or a handler (refused):
        page sizes from ``page_sizes``; sorting, filters and search only on fields the role sees.
        """
        out = {}
        if self.page_size not in admin.page_sizes:
            out["size"] = f"每页条数只能是 {'、'.join(str(n) for n in admin.page_sizes)}"
        if not 1 <= self.page <= MAX_PAGE:
            out["page"] = "页码无效"
        if self.sort and self.sort.lstrip("-") not in admin.sortable_for(p):  # "": the declared default
            out["sort"] = "该列不能排序"
        if len(self.q) > MAX_SEARCH:
            out["q"] = f"搜索内容不能超过 {MAX_SEARCH} 个字"
        filters = admin.filters_for(p)
        for key, value in self.filters.items():
            name, _, op = key.partition("__")
            # A NUL: PostgreSQL refuses it in any text parameter, the list's query would fail.
            if name not in filters or op not in RANGE_OPS or len(value) > MAX_FILTER or "\x00" in value:
                out[f"f_{key}"] = "不能按该条件筛选"
                continue
            try:  # a value that means nothing (2026-02-31, abc) is said so, not shown as an empty list
                _filter_clause(admin.fields[name], sa.literal_column(name), "__" + op if op else "", value)
            except FieldError as exc:
                out[f"f_{key}"] = str(exc)
        return out

    def to_params(self, admin) -> str:
        params = {}
        if self.q:
            params["q"] = self.q
        for k, v in sorted(self.filters.items()):
            if v != "":
                params[f"f_{k}"] = v
        if self.sort and self.sort != admin.default_key():
            params["sort"] = self.sort
        if self.page > 1:
            params["page"] = str(self.page)
        if self.page_size != admin.page_sizes[0]:
            params["size"] = str(self.page_size)
        return urlencode(params)


def _whole(spec: FieldSpec, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or abs(value) > MAX_INT:  # past a BIGINT the driver raises instead of comparing
        raise FieldError(f"{spec.label}筛选值无效")
    return value


def _filter_clause(spec: FieldSpec, column, op: str, raw: str):
    if spec.kind == "bool":
        return column.is_(raw == "true")
    if op == "" and spec.kind in ("fk", "int", "enum") and "," in raw:
        # "a,b,c": any of them (dashboards drill down to e.g. every open bill state or a city's projects)
        parts = [part for part in raw.split(",")[:500] if part]
        return column.in_([spec.parse(part) if spec.kind == "enum" else _whole(spec, part) for part in parts])
    if spec.kind == "fk" or (spec.kind == "int" and op == ""):
        return column == _whole(spec, raw)
    if spec.kind == "datetime" and MINUTE.fullmatch(raw):
        # A bound with a time ("2026-12-02T10:30", Beijing) means that minute: 待我处理's "due before now".
        try:
            at = dt.datetime.strptime(raw.replace(" ", "T"), "%Y-%m-%dT%H:%M").replace(tzinfo=SHANGHAI)
        except ValueError:
            raise FieldError(f"{spec.label}筛选值无效") from None
        return column < at + dt.timedelta(minutes=1) if op == "__lte" else column >= at
    if spec.kind == "datetime":
        # A date bound means that whole day in Beijing time; the column holds UTC.
        day = spec.with_(kind="date").parse(raw)
        if op == "__lte":
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
        return column < start if op == "__lte" else column >= start
    value = spec.parse(raw)
    if op == "__gte":
        return column >= value
    if op == "__lte":
        return column <= value
    return column == value


def where_clauses(admin, p: Principal, q: ListQuery, session: Session | None = None) -> list:
    """Every condition of the list: scope first, then search and filters. With the ``session`` the search
    uses the database's trigram indexes (search.py); without it, plain LIKE (same rows, slower)."""
    model = admin.model
    clauses = []
    if admin.scope:
        clauses.append(admin.scope.clause(p, model))
    clauses += [getattr(model, name).in_(list(values)) for name, values in admin.only.items()]
    found = search.clause(session, admin, p, q.q.strip())
    if found is not None:
        clauses.append(found)
    filters = admin.filters_for(p)
    for key, raw in q.filters.items():
        name, _, op = key.partition("__")
        spec = admin.fields.get(name)
        if spec is None or name not in filters:
            continue
        try:
            clauses.append(_filter_clause(spec, getattr(model, name), "__" + op if op else "", raw))
        except FieldError:
            clauses.append(sa.false())  # a nonsense filter matches nothing rather than everything
    return clauses


def _runs(admin, p: Principal, q: ListQuery) -> list[tuple[list, list]]:
    """[(conditions, ORDER BY)]: the list's order as consecutive runs of rows, each ordered on plain columns."""
    model = admin.model
    order = admin.order_for(q.sort if q.sort.lstrip("-") in admin.sortable_for(p) else "")
    out = []
    for in_first, keys in order.runs():
        cols = [getattr(model, k.lstrip("-") or "id") for k in keys]
        by = [c.desc() if k.startswith("-") else c.asc() for c, k in zip(cols, keys)]
        by.append(model.id.desc() if keys[0].startswith("-") else model.id.asc())
        where = []
        if in_first is not None:
            col = getattr(model, order.first_column)
            # The declaration's own values, written into the SQL: a partial index on a run (账单管理's
            # unpaid bills) is only used when the query states its condition in constants, as it does.
            first: Any = list(order.first[order.first_column])
            chosen = col.in_(sa.bindparam(None, first, expanding=True, literal_execute=True))
            nullable = model.__table__.c[order.first_column].nullable
            rest = sa.or_(sa.not_(chosen), col.is_(None)) if nullable else sa.not_(chosen)
            where = [chosen] if in_first else [rest]
        out.append((where, by))
    return out


def ordered_ids(session: Session, admin, p: Principal, q: ListQuery, offset: int = 0, limit: int | None = None) -> list:
    """Ids of the rows the query matches, in the list's order, from ``offset``, at most ``limit``.

    Run by run: a page wholly inside a later run skips the earlier ones by their (index-served) count.
    """
    model, where = admin.model, where_clauses(admin, p, q, session)
    out: list = []
    for extra, by in _runs(admin, p, q):
        stmt = select(model.id).where(*where, *extra).order_by(*by)
        if limit is None:
            out += session.exec(stmt).all()
            continue
        if len(out) >= limit:
            break
        got = session.exec(stmt.offset(offset).limit(limit - len(out))).all()
        if got:
            out += got
            offset = 0  # the next run starts at its top
        elif offset:
            inner = select(model.id).where(*where, *extra).limit(offset).subquery()
            offset -= session.exec(select(sa.func.count()).select_from(inner)).one()
    return out


def fetch_page(session: Session, admin, p: Principal, q: ListQuery) -> list:
    model = admin.model
    ids = ordered_ids(session, admin, p, q, (q.page - 1) * q.page_size, q.page_size)
    if not ids:
        return []
    rows = {r.id: r for r in session.exec(select(model).where(model.id.in_(ids))).all()}
    return [rows[i] for i in ids if i in rows]


def count(session: Session, admin, p: Principal, q: ListQuery) -> tuple[int, bool]:
    """(count, exact). Capped admins stop counting at count_cap + 1."""
    where = where_clauses(admin, p, q, session)
    model = admin.model
    if admin.count == Count.CAPPED:
        inner = select(model.id).where(*where).limit(admin.count_cap + 1).subquery()
        n = session.exec(select(sa.func.count()).select_from(inner)).one()
        return (admin.count_cap, False) if n > admin.count_cap else (n, True)
    return session.exec(select(sa.func.count()).select_from(model).where(*where)).one(), True


def matching_ids(session: Session, admin, p: Principal, q: ListQuery, limit: int) -> list[int]:
    """Ids of every row the query matches (for "select all matching"), up to limit."""
    return list(ordered_ids(session, admin, p, q, 0, limit))


def labels_for(session: Session, spec: FieldSpec, ids: Iterable[Any]) -> dict[Any, Any]:
    """{id: label} of the rows a foreign-key field points at, in one query."""
    wanted = set(ids) - {None}
    target = spec.fk_model
    if not wanted or target is None:
        return {}
    pk, label = column(target, "id"), column(target, label_attr(target))
    return dict(session.exec(select(pk, label).where(pk.in_(wanted))).all())


def fk_labels(session: Session, admin, rows: list, names: list[str]) -> dict[str, dict]:
    """For each foreign-key column shown: {id: label}, one query per column."""
    return {
        n: labels_for(session, admin.fields[n], (getattr(r, n) for r in rows))
        for n in names
        if admin.fields[n].kind == "fk"
    }


def row_title(session: Session, admin, p: Principal | None, row) -> str:
    """How a dialog names ``row``: its label field (合同 HT…); a row with none (a reservation, a payment) by
    its list's first two columns as ``p`` reads them (2-510 · 王伟), never its bare id."""
    if admin.label_field != "id":
        return admin.row_label(row)
    cols = [n for n in admin.visible(p, admin.list_columns) if n != "id"][:2]
    shown = display(session, admin, p, [row], cols)[0] if cols else {}
    return " · ".join(str(shown[n]) for n in cols if shown.get(n)) or f"#{row.id}"


def display(session: Session, admin, p: Principal | None, rows: list, names: list[str]) -> list[dict[str, str]]:
    """The rows as ``p`` reads them: labels for foreign keys and links, formatted values, personal numbers
    masked unless ``p``'s role may see them (privacy.py)."""
    labels = fk_labels(session, admin, rows, names)
    links = many.load(session, admin, [r.id for r in rows], names)
    out = []
    for r in rows:
        d = {}
        for n in names:
            spec = admin.fields[n]
            value = links[n].get(r.id, []) if spec.kind == "many" else getattr(r, n)
            text = spec.display(value, labels.get(n), getattr(r, spec.labels_by) if spec.labels_by else None)
            d[n] = privacy.shown(spec, p, text, getattr(r, spec.masks_by) if spec.masks_by else None)
            if spec.hint:  # the stored code beside its name (a parameter's key)
                d[n + HINT] = "" if value is None else str(value)
        out.append(d)
    return out


def applicable_to_all(session: Session, admin, p: Principal, q: ListQuery, actions: Iterable) -> list[str]:
    """Names of the ``actions`` that apply to every row the query matches (their ``when``): one
    ``SELECT DISTINCT`` per column the ``when``s name, never the rows themselves."""
    actions = list(actions)
    where = where_clauses(admin, p, q)
    held: dict[str, set] = {}
    for name in dict.fromkeys(n for a in actions for n in a.when):
        col = getattr(admin.model, name)
        held[name] = set(session.exec(select(col).where(*where).distinct()).all())
    return [a.name for a in actions if all(held[n] <= set(values) for n, values in a.when.items())]
