"""A detail's related records: each ``Link`` of its admin as a tab of the first rows of the other list,
filtered on this row, with a total line (how many, and the sum of each money column) and 查看全部.

Each tab is the other admin's own list query (its scope, its ``only``, its default order, the
columns its role sees), so a tab never shows a row that list would not; a role that may not view the
other list, or not filter it on that column, gets no tab.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin.query import MAX_FILTER, ListQuery, count, display, fetch_page, matching_ids, where_clauses
from clss_app.services.permissions import VIEW, Principal, can

SHOWN = 5  # rows per tab: the latest few; 查看全部 opens the list
MAX_COLUMNS = 7
MAX_VIA = 500  # rows in between a tab goes through (a filter takes up to 500 ids)
UNSHOWN_KINDS = ("image", "many")


@dataclass
class RelatedTab:
    key: str = ""  # the tab's value
    label: str = ""
    count: str = ""  # "12", "10,000+"
    summary: str = ""  # "共 12 条 · 应收金额 ¥3,600.00 · 已收金额 ¥2,400.00"
    href: str = ""  # the other list, filtered on this row
    headers: list[str] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns (amounts)
    rows: list[list[str]] = field(default_factory=list)


def _money_label(label: str) -> str:
    return label.removesuffix("(元)").removesuffix("（元）")


def _columns(target: Any, names: list[str], shown: list[dict[str, str]]) -> list[str]:
    """At most MAX_COLUMNS of the list's columns, in its order: the amounts and states first; of the others,
    those that say the same on every row (this contract's tenant on each of its bills) left out."""
    first = [n for n in names if target.fields[n].kind in ("money", "enum")]
    if len(shown) > 1:
        names = [n for n in names if n in first or len({d[n] for d in shown}) > 1]
    keep = set(first[:MAX_COLUMNS])
    keep |= set([n for n in names if n not in keep][: MAX_COLUMNS - len(keep)])
    return [n for n in names if n in keep]


def tab(
    session: Session, admin: Any, p: Principal | None, row: Any, index: int, shown: int = SHOWN
) -> RelatedTab | None:
    """The tab of ``admin.links[index]`` for ``row``, as ``p`` may read it (None: no tab for ``p``)."""
    link = admin.links[index]
    key = str(getattr(row, link.admin_in) or "") if link.admin_in else link.admin
    if key not in admin.site:
        return None
    target = admin.site.admin(key)
    if p is None or not can(p, VIEW, target.key) or link.column not in target.filters_for(p):
        return None
    value = str(row.id)
    if link.via is not None:  # the rows of the list in between that belong to this row, as this role sees them
        middle, col = admin.site.admin(link.via[0]), link.via[1]
        if not can(p, VIEW, middle.key) or col not in middle.filters_for(p):
            return None
        ids = matching_ids(session, middle, p, ListQuery(filters={col: value}), MAX_VIA)
        value = ",".join(str(i) for i in ids) or "0"  # "a,b,c": any of them; "0": none
    q = ListQuery(filters={link.column: value}, page_size=shown)
    visible = target.visible(p, target.list_columns)
    candidates = [n for n in visible if n != link.column and target.fields[n].kind not in UNSHOWN_KINDS]
    rows = fetch_page(session, target, p, q)
    total, exact = count(session, target, p, q)
    n = f"{total:,}" if exact else f"{total:,}+"
    parts = [f"共 {n} 条"]
    money = [c for c in visible if target.fields[c].kind == "money" and (link.totals is None or c in link.totals)]
    if money and total:
        model = target.model
        sums = session.exec(
            select(*[sa.func.coalesce(sa.func.sum(getattr(model, c)), 0) for c in money]).where(
                *where_clauses(target, p, q)
            )
        ).one()
        sums = (sums,) if len(money) == 1 else tuple(sums)  # one column selected: a scalar
        parts += [f"{_money_label(target.fields[c].label)} ¥{Decimal(v or 0):,.2f}" for c, v in zip(money, sums)]
    shown_rows = display(session, target, p, rows, candidates)
    cols = _columns(target, candidates, shown_rows)
    numeric_kinds = ("money", "decimal", "int", "percent")
    return RelatedTab(
        key=f"rel-{index}",
        label=link.label.replace("{noun}", target.title_noun()),
        count=n,
        summary=" · ".join(parts),
        # A list's filter holds at most MAX_FILTER characters: past that, no 查看全部 rather than a wrong list.
        href=f"{admin.site.menu[target.key].route}?{urlencode({f'f_{link.column}': value})}"
        if len(value) <= MAX_FILTER
        else "",
        headers=[target.fields[c].label for c in cols],
        numeric=[target.fields[c].kind in numeric_kinds for c in cols],
        rows=[[d[c] or "—" for c in cols] for d in shown_rows],
    )


def tabs(session: Session, admin: Any, p: Principal | None, row: Any, shown: int = SHOWN) -> list[RelatedTab]:
    out = [tab(session, admin, p, row, i, shown) for i in range(len(admin.links))]
    return [t for t in out if t is not None]
