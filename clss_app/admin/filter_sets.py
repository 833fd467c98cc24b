"""Which filters a list shows, and 常用筛选 (issue 18, item 6).

- 3–4 primary filters in sight, the rest under 更多筛选 (``primary_split``); an admin names its own
  with ``primary_filters``, else the first ``PRIMARY_DEFAULT``.
- A view of some rows only (``only``) shows no filter that cannot matter there: none on the ``only``
  column, none on a column that holds no value in that view (a later stage's date: 退房日期 of the
  contracts awaiting review), ``idle_filters``.
- A user saves the list's search, filters and sort by name and finds them again: ``save``,
  ``saved_for``, ``get_owned``, ``delete``. Rows are the user's own; another user's id reads as none.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin.fields import MAX_INT, column
from clss_app.core.errors import ValidationFailed
from clss_app.services.permissions import Principal
from models import SavedFilter
from models.saved_filter import NAME_MAX

PRIMARY_DEFAULT = 3
MAX_PER_LIST = 30  # saved filter sets of one user on one list
KEPT_PARAMS = ("q", "sort")  # with every f_*: what a saved set holds (not the page, nor its size)


def primary_split(admin, names: list[str]) -> tuple[list[str], list[str]]:
    """``names`` (the filters shown) as (in sight, under 更多筛选)."""
    declared = [n for n in admin.primary_filters if n in names]
    primary = declared or names[:PRIMARY_DEFAULT]
    return primary, [n for n in names if n not in primary]


def idle_filters(session: Session, admin, p: Principal) -> list[str]:
    """The filters of a view of some rows (``only``) that cannot narrow it: on the ``only`` column
    itself, on a column empty in every row of the view the user may see (a later stage's date), or
    on a choice that holds one value there (在线签约审核: every 签约方式 is 在线签约).

    Each is an EXISTS that stops at the first row telling otherwise; computed once per list opened."""
    if not admin.only:
        return []
    idle = [n for n in admin.filters if n in admin.only]
    model = admin.model
    checked = [n for n in admin.filters if n not in idle and n in admin.columns()]
    if not checked:
        return idle
    where = [getattr(model, name).in_(list(values)) for name, values in admin.only.items()]
    if admin.scope:
        where.append(admin.scope.clause(p, model))

    def probe(name: str):
        col = column(model, name)
        rows = sa.select(sa.literal(1)).select_from(model).where(*where, col.is_not(None))
        if admin.fields[name].kind in ("enum", "bool"):  # a second value somewhere
            first = sa.select(col).where(*where, col.is_not(None)).limit(1).scalar_subquery()
            rows = rows.where(col != first)
        return sa.exists(rows).label(name)

    probes = [probe(n) for n in checked]
    found = session.execute(sa.select(*probes)).one()  # one row, one flag a column (a single probe too)
    return idle + [n for n, any_value in zip(checked, found, strict=True) if not any_value]


def kept_query(query: str) -> str:
    """What of a list's URL query a saved set keeps: the search, the filters and the sort."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?")) if v and (k in KEPT_PARAMS or k.startswith("f_"))]
    return urlencode(pairs)


def saved_for(session: Session, user_id: int, admin_key: str) -> list[SavedFilter]:
    stmt = select(SavedFilter).where(SavedFilter.user_id == user_id, SavedFilter.admin_key == admin_key)
    return list(session.exec(stmt.order_by(SavedFilter.name)).all())


def save(session: Session, user_id: int, admin_key: str, name: str, query: str) -> SavedFilter:
    """Keep ``query`` as ``name`` for this user on this list; ValidationFailed({"name": 中文}) if it may not."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "请填写名称"})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"name": f"名称不能超过 {NAME_MAX} 个字（当前 {len(name)} 个）"})
    kept = kept_query(query)
    if not kept:
        raise ValidationFailed({"name": "当前没有搜索或筛选条件，无需保存"})
    if len(kept) > 2000:
        raise ValidationFailed({"name": "筛选条件过长，无法保存"})
    mine = saved_for(session, user_id, admin_key)
    if any(s.name == name for s in mine):
        raise ValidationFailed({"name": f"已有名为“{name}”的常用筛选，请换一个名称"})
    if len(mine) >= MAX_PER_LIST:
        raise ValidationFailed({"name": f"每个列表最多保存 {MAX_PER_LIST} 个常用筛选，请先删除不用的"})
    row = SavedFilter(user_id=user_id, admin_key=admin_key, name=name, query=kept)
    session.add(row)
    session.flush()
    return row


def get_owned(session: Session, user_id: int, admin_key: str, saved_filter_id: int) -> SavedFilter | None:
    """The saved set ``saved_filter_id`` if it is this user's, on this list; else None (never another user's)."""
    if not 0 < saved_filter_id <= MAX_INT:  # past a BIGINT the driver raises instead of finding nothing
        return None
    row = session.get(SavedFilter, saved_filter_id)
    if row is None or row.user_id != user_id or row.admin_key != admin_key:
        return None
    return row


def delete(session: Session, user_id: int, admin_key: str, saved_filter_id: int) -> bool:
    row = get_owned(session, user_id, admin_key, saved_filter_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
