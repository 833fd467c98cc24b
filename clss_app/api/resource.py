"""Resources generated from declarations: an ``ApiResource`` names a model, the fields the APP reads, the
filters and sorts it may use, and its scope (the WHERE that limits rows to what the token's tenant may
see). ``mount(router, resource)`` adds ``GET {path}`` (a cursor-paged list) and ``GET {path}/{row_id}``
(one row, 404 outside the scope), with their query parameters and answer schema in the OpenAPI document.

The scope is applied by the engine to every query, list and item alike: a declaration cannot forget it.

    ApiResource(
        path="/me/bills", label="账单", model=Bill,
        fields=("id", "title", "amount", "state", "due_date"),
        filters=(ApiFilter("state", Bill.state), ApiFilter("due_from", Bill.due_date, op="gte", label="应收日期起")),
        sort=("-due_date", "due_date", "amount"),
        scope=lambda who: Bill.tenant_id == who.tenant_id,
    )

Paging: ``limit`` (1–API_PAGE_MAX, default 20) and ``cursor``, the opaque ``next_cursor`` of the page
before (the last row's sort value and id): rows written meanwhile neither repeat nor vanish.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, create_model
from sqlmodel import Session, SQLModel

from clss_app import db, settings
from clss_app.api import errors
from clss_app.api.auth import CurrentTenant, tenant
from clss_app.api.errors import ApiError
from clss_app.services.tenant_auth import TenantToken
from models.base import LabeledEnum

Scope = Callable[[TenantToken], Any]  # -> a SQL boolean

# Every integer a client sends (a filter, a cursor's value or id) stays within the columns' 32-bit range:
# a larger one cannot match a row, and SQLite cannot even bind one past 64 bits (an OverflowError, a 500).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Likewise an amount: finite and within what a NUMERIC column holds (PostgreSQL refuses 1e999999; SQLite
# cannot bind a signaling NaN).
DECIMAL_MAX = 10**15


@dataclass(frozen=True)
class ApiFilter:
    """A query parameter narrowing the list: ``op`` eq (default), gte, lte, contains (text), in (comma
    list). Its type is the column's unless ``type`` says otherwise; ``label`` defaults to the column's
    title (the Chinese name a 422 gives)."""

    name: str
    column: Any
    op: Literal["eq", "gte", "lte", "contains", "in"] = "eq"
    label: str = ""
    type: Any = None


@dataclass(frozen=True)
class ApiField:
    """An answer field computed from the row (``value(row)``), besides the model's own columns; or, for
    what other tables hold, ``many(session, rows) -> {row id: value}``, run once per page (one query for
    the page, not one per row); a row it leaves out gets ``default``."""

    name: str
    type: Any
    value: Callable[[Any], Any] | None = None
    many: Callable[[Session, list[Any]], dict[int, Any]] | None = None
    default: Any = None


@dataclass(frozen=True)
class ApiResource:
    path: str  # under /api/v1: "/me/bills"
    label: str  # the APP's word for one row, in messages: "账单"
    model: type[SQLModel]
    fields: Sequence[str | ApiField]
    scope: Scope
    filters: Sequence[ApiFilter] = ()
    sort: Sequence[str] = ("-id",)  # the first is the default; "-x" descending; ties broken by id
    query: Callable[[Any], Any] | None = None  # joins the scope or filters need: select -> select
    description: str = ""
    item: bool = True
    tags: Sequence[str] = ()

    def column(self, name: str) -> Any:
        return getattr(self.model, name)


def _py_type(model: type[SQLModel], name: str) -> Any:
    return model.model_fields[name].annotation


def _is_enum(tp: Any) -> type[LabeledEnum] | None:
    for t in (tp, *getattr(tp, "__args__", ())):
        if isinstance(t, type) and issubclass(t, LabeledEnum):
            return t
    return None


def _answer_model(res: ApiResource) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for f in res.fields:
        if isinstance(f, ApiField):
            fields[f.name] = (f.type, ...)
            continue
        tp = _py_type(res.model, f)
        if _is_enum(tp) is not None:  # the stored value, and its Chinese label beside it
            fields[f] = (str | None if type(None) in getattr(tp, "__args__", ()) else str, ...)
            fields[f + "_label"] = (str, ...)
        else:
            fields[f] = (tp, ...)
    words = res.path.strip("/").replace("-", "_").replace("/", "_").split("_")
    return create_model("".join(p.capitalize() for p in words) or "Row", **fields)


def _fetched(res: ApiResource, session: Session, rows: list[Any]) -> dict[str, dict[int, Any]]:
    """The ``many`` fields of a page's rows, by field name and row id."""
    if not rows:
        return {}
    return {f.name: f.many(session, rows) for f in res.fields if isinstance(f, ApiField) and f.many is not None}


def _row(res: ApiResource, row: Any, fetched: dict[str, dict[int, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in res.fields:
        if isinstance(f, ApiField):
            if f.many is not None:
                out[f.name] = (fetched or {}).get(f.name, {}).get(row.id, f.default)
            else:
                out[f.name] = f.value(row) if f.value is not None else f.default
            continue
        v = getattr(row, f)
        if isinstance(v, LabeledEnum):
            out[f], out[f + "_label"] = v.value, v.label
        else:
            out[f] = v
            if _is_enum(_py_type(res.model, f)) is not None:
                out[f + "_label"] = ""
    return out


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _plain_type(tp: Any) -> Any:
    """``int`` of ``int | None`` (the id of a table model is Optional until it is saved)."""
    return next((t for t in (getattr(tp, "__args__", None) or (tp,)) if t is not type(None)), str)


def _decode(tp: Any, text: Any) -> Any:
    base = _plain_type(tp)
    if base is datetime:
        return datetime.fromisoformat(text)
    if base is date:
        return date.fromisoformat(text)
    if base is Decimal:
        amount = Decimal(str(text))
        if not amount.is_finite() or abs(amount) > DECIMAL_MAX:
            raise ValueError(text)
        return amount
    if base is int:
        number = int(text)
        if not INT_MIN <= number <= INT_MAX:
            raise ValueError(text)
        return number
    if isinstance(base, type) and issubclass(base, Enum):
        return base(text)
    return str(text)


def cursor_of(sort: str, value: Any, row_id: int) -> str:
    raw = json.dumps([sort, _encode(value), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(res: ApiResource, sort: str, cursor: str) -> Any:
    """The SQL condition of the rows after ``cursor`` in ``sort`` order; 422 for a cursor not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, last_id = json.loads(raw)
        if name != sort or not isinstance(last_id, int) or isinstance(last_id, bool) or not 1 <= last_id <= INT_MAX:
            raise ValueError
        value = _decode(_py_type(res.model, sort.lstrip("-")), value)
    except (ValueError, TypeError, KeyError, ArithmeticError):
        raise ApiError(422, "分页游标无效，请从第一页重新获取", field="cursor") from None
    col, pk = res.column(sort.lstrip("-")), res.column("id")
    if sort.startswith("-"):
        return sa.or_(col < value, sa.and_(col == value, pk < last_id))
    return sa.or_(col > value, sa.and_(col == value, pk > last_id))


def _filter_clause(f: ApiFilter, value: Any) -> Any:
    if f.op == "gte":
        return f.column >= value
    if f.op == "lte":
        return f.column <= value
    if f.op == "contains":
        return f.column.contains(str(value), autoescape=True)
    if f.op == "in":
        return f.column.in_([v.strip() for v in str(value).split(",") if v.strip()][:50])
    return f.column == value


def _filter_type(res: ApiResource, f: ApiFilter) -> Any:
    if f.type is not None:
        return f.type
    if f.op in ("contains", "in"):
        return str
    key = getattr(f.column, "key", "")
    if key in res.model.model_fields:
        tp = _py_type(res.model, key)
        return _is_enum(tp) or _plain_type(tp)
    return f.column.type.python_type


def _filter_label(res: ApiResource, f: ApiFilter) -> str:
    key = getattr(f.column, "key", "")
    if f.label:
        return f.label
    if key in res.model.model_fields:
        return res.model.model_fields[key].title or f.name
    return f.name


class Endpoint:
    """A generated endpoint: FastAPI reads its parameters from ``__signature__`` (inspect.signature does)."""

    def __init__(self, run: Callable[..., Any], signature: inspect.Signature) -> None:
        self.run, self.__signature__ = run, signature

    def __call__(self, **kw: Any) -> Any:
        return self.run(**kw)


class Page(BaseModel):
    next_cursor: str | None


def page_model(name: str, row: type[BaseModel]) -> type[BaseModel]:
    items: Any = list.__class_getitem__(row)  # list[row], of a model made at run time
    return create_model(name, __base__=Page, items=(items, ...))


def _select(res: ApiResource, who: TenantToken) -> Any:
    stmt = sa.select(res.model)
    if res.query is not None:
        stmt = res.query(stmt)
    return stmt.where(res.scope(who))


def list_rows(
    res: ApiResource, who: TenantToken, sort: str, limit: int, cursor: str | None, given: dict[str, Any]
) -> dict[str, Any]:
    stmt = _select(res, who)
    for f in res.filters:
        if given.get(f.name) is not None:
            stmt = stmt.where(_filter_clause(f, given[f.name]))
    if cursor:
        stmt = stmt.where(_after(res, sort, cursor))
    col, pk = res.column(sort.lstrip("-")), res.column("id")
    order = (col.desc(), pk.desc()) if sort.startswith("-") else (col.asc(), pk.asc())
    with Session(db.engine()) as s:
        rows = list(s.execute(stmt.order_by(*order).limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        fetched = _fetched(res, s, rows)
    last = rows[-1] if rows and more else None
    next_cursor = None if last is None else cursor_of(sort, getattr(last, sort.lstrip("-")), last.id)
    return {"items": [_row(res, r, fetched) for r in rows], "next_cursor": next_cursor}


def get_row(res: ApiResource, who: TenantToken, row_id: int) -> dict[str, Any]:
    with Session(db.engine()) as s:
        row = s.execute(_select(res, who).where(res.column("id") == row_id)).scalars().first()
        fetched = _fetched(res, s, [row] if row is not None else [])
    if row is None:
        raise errors.not_found(res.label)
    return _row(res, row, fetched)


def _json(model: type[BaseModel], data: dict[str, Any]) -> Response:
    """The answer checked against its model and written as JSON by pydantic's core (FastAPI's own path
    for a returned dict validates, encodes to Python objects, then dumps: a list page paid for it)."""
    return Response(model.model_validate(data).model_dump_json(), media_type="application/json")


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def mount(router: APIRouter, res: ApiResource) -> None:
    """Add the resource's list (and item) endpoints to ``router``."""
    row_model = _answer_model(res)
    page = page_model(row_model.__name__ + "Page", row_model)
    sort_names = tuple(res.sort)
    most = settings.API_PAGE_MAX
    params = [
        _param("limit", int, Query(20, ge=1, le=most, description=f"每页条数（1–{most}）")),
        _param("cursor", str | None, Query(None, max_length=400, description="上一页的 next_cursor；不传为第一页")),
        _param(
            "sort",
            str,
            Query(
                sort_names[0],
                max_length=40,
                description="排序（前缀 - 为倒序）：" + "、".join(sort_names),
                json_schema_extra={"enum": list(sort_names)},
            ),
        ),
    ]
    for f in res.filters:
        text, tp = _filter_label(res, f), _filter_type(res, f)
        errors.LABELS.setdefault(f.name, text)
        if tp is str:
            query = Query(None, description=text, max_length=200)
        elif tp is int:
            query = Query(None, description=text, ge=INT_MIN, le=INT_MAX)
        elif tp is Decimal:
            query = Query(None, description=text, ge=-DECIMAL_MAX, le=DECIMAL_MAX)
        else:
            query = Query(None, description=text)
        params.append(_param(f.name, tp | None, query))
    params.append(_param("who", TenantToken, Depends(tenant)))

    def list_endpoint(**kw: Any) -> Response:
        who, sort = kw.pop("who"), kw.pop("sort")
        if sort not in sort_names:
            raise ApiError(422, "排序须为以下之一：" + "、".join(sort_names), field="sort")
        return _json(page, list_rows(res, who, sort, kw.pop("limit"), kw.pop("cursor"), kw))

    router.add_api_route(
        res.path,
        Endpoint(list_endpoint, inspect.Signature(params)),
        name=f"list_{row_model.__name__}",
        methods=["GET"],
        response_model=page,
        summary=f"{res.label}列表",
        description=res.description,
        tags=list(res.tags),
        responses=errors.ERROR_RESPONSES,
    )
    if not res.item:
        return

    def item_endpoint(row_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: CurrentTenant) -> Response:
        return _json(row_model, get_row(res, who, row_id))

    router.add_api_route(
        res.path + "/{row_id}",
        item_endpoint,
        name=f"get_{row_model.__name__}",
        methods=["GET"],
        response_model=row_model,
        summary=f"{res.label}详情",
        tags=list(res.tags),
        responses=errors.ERROR_RESPONSES,
    )
