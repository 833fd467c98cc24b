"""行情查询: index series by city, area band and month, with month-on-month and year-on-year change.

Plain Python and Polars; the page only picks the filters and draws what ``series`` returns.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl
from sqlmodel import Session, select

from clss_app.services.permissions import EXPORT, VIEW, Principal, require, scope_clause
from models import AreaBand, IndexKind, MarketIndex, Project

RESOURCE = "market_index"
DEMO_SOURCE = "演示数据（模拟生成，非真实行情）"
SCHEMA = {"city": pl.String, "month": pl.Date, "value": pl.Float64, "is_demo": pl.Boolean}


@dataclass(frozen=True)
class IndexQuery:
    kind: IndexKind = IndexKind.RENT
    band: AreaBand = AreaBand.FROM_60
    cities: tuple[str, ...] = ()
    month_from: date | None = None
    month_to: date | None = None


@dataclass
class Options:
    cities: list[str] = field(default_factory=list)
    months: list[date] = field(default_factory=list)
    operated: set[str] = field(default_factory=set)  # the cities of the viewer's own projects


def options(session: Session, p: Principal | None) -> Options:
    p = require(p, VIEW, RESOURCE)
    cities = session.exec(select(MarketIndex.city).distinct().order_by(MarketIndex.city)).all()
    months = session.exec(select(MarketIndex.month).distinct().order_by(MarketIndex.month)).all()
    operated = set(session.exec(select(Project.city).where(scope_clause(p, Project.id))).all())
    return Options(list(cities), list(months), operated)


def with_changes(points: pl.DataFrame) -> pl.DataFrame:
    """Add 环比 (vs the previous month) and 同比 (vs the same month a year before), in percent.

    Matched by calendar month, not by position, so a missing month leaves a gap instead of
    comparing with the wrong one."""

    def shifted(by: str, name: str) -> pl.DataFrame:
        return points.select("city", pl.col("month").dt.offset_by(by).alias("month"), pl.col("value").alias(name))

    return (
        points.join(shifted("1mo", "prev"), on=["city", "month"], how="left")
        .join(shifted("1y", "year_ago"), on=["city", "month"], how="left")
        .with_columns(
            mom=((pl.col("value") / pl.col("prev") - 1) * 100).round(2),
            yoy=((pl.col("value") / pl.col("year_ago") - 1) * 100).round(2),
        )
        .drop("prev", "year_ago")
    )


def series(session: Session, p: Principal | None, q: IndexQuery) -> pl.DataFrame:
    """city, month, value, is_demo, mom, yoy of the chosen cities inside the month range."""
    require(p, VIEW, RESOURCE)
    if not q.cities:
        return with_changes(pl.DataFrame(schema=SCHEMA))
    rows = session.exec(
        select(MarketIndex.city, MarketIndex.month, MarketIndex.value, MarketIndex.is_demo).where(
            MarketIndex.kind == q.kind, MarketIndex.area_band == q.band, MarketIndex.city.in_(q.cities)
        )
    ).all()
    points = pl.DataFrame([(c, m, float(v), d) for c, m, v, d in rows], schema=SCHEMA, orient="row")
    out = with_changes(points)  # before the range cut: the first month shown still has its 环比 and 同比
    if q.month_from:
        out = out.filter(pl.col("month") >= q.month_from)
    if q.month_to:
        out = out.filter(pl.col("month") <= q.month_to)
    return out.sort("month", "city")


def _percent(v) -> str:
    return "—" if v is None or math.isnan(v) else f"{v:+.2f}%"


def table_rows(frame: pl.DataFrame) -> list[dict[str, str]]:
    """Newest month first, as the page and the export show them."""
    return [
        {
            "city": r["city"],
            "month": r["month"].strftime("%Y-%m"),
            "value": f"{r['value']:.2f}",
            "mom": _percent(r["mom"]),
            "yoy": _percent(r["yoy"]),
        }
        for r in frame.sort(["month", "city"], descending=[True, False]).iter_rows(named=True)
    ]


def export_xlsx(session: Session, p: Principal | None, q: IndexQuery) -> bytes:
    require(p, EXPORT, RESOURCE)
    frame = series(session, p, q)
    rows = table_rows(frame)
    sheet = pl.DataFrame(
        {
            "指数类型": [q.kind.label] * len(rows),
            "面积段": [q.band.label] * len(rows),
            "城市": [r["city"] for r in rows],
            "月份": [r["month"] for r in rows],
            "指数值": [float(r["value"]) for r in rows],
            "环比": [r["mom"] for r in rows],
            "同比": [r["yoy"] for r in rows],
        },
        schema={
            "指数类型": pl.String,
            "面积段": pl.String,
            "城市": pl.String,
            "月份": pl.String,
            "指数值": pl.Float64,
            "环比": pl.String,
            "同比": pl.String,
        },
    )
    if frame.height and frame["is_demo"].any():
        sheet = sheet.with_columns(pl.lit(DEMO_SOURCE).alias("说明"))
    buf = io.BytesIO()
    sheet.write_excel(buf, worksheet="行情查询", autofit=True)
    return buf.getvalue()


# ---------------------------------------------------------------- demo series

# city: (rent level, rent trend a month, price level, price trend a month)
DEMO_CITIES = {
    "北京": (100.0, 0.10, 100.0, -0.35),
    "上海": (100.0, 0.15, 100.0, -0.25),
    "深圳": (100.0, -0.05, 100.0, -0.55),
    "广州": (100.0, -0.10, 100.0, -0.45),
    "杭州": (100.0, 0.20, 100.0, -0.30),
}
BAND_SHIFT = {AreaBand.UNDER_60: 1.5, AreaBand.FROM_60: 0.0, AreaBand.FROM_90: -1.0, AreaBand.OVER_144: -2.5}


def demo_points(first: date, last: date, rng: random.Random) -> list[dict]:
    """Plausible, clearly labelled series: a trend, the summer graduation peak of rents, noise."""
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out = []
    for city, (rent0, rent_trend, price0, price_trend) in DEMO_CITIES.items():
        for band, shift in BAND_SHIFT.items():
            for kind, level, trend in (
                (IndexKind.RENT, rent0 + shift, rent_trend),
                (IndexKind.PRICE, price0 + shift, price_trend),
            ):
                walk = 0.0
                for i, month in enumerate(months):
                    walk += rng.gauss(0, 0.25)
                    season = 1.2 * math.sin((month.month - 4) / 12 * 2 * math.pi) if kind == IndexKind.RENT else 0
                    out.append(
                        dict(
                            kind=kind,
                            city=city,
                            area_band=band,
                            month=month,
                            source=DEMO_SOURCE,
                            value=Decimal(f"{level + trend * i + season + walk:.2f}"),
                            is_demo=True,
                            version=1,
                        )
                    )
    return out
