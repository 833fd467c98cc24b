"""A synthetic 1,000,000-row bill table and its ModelAdmin, for the engine benchmark only.

It is not part of the schema or the migrations, and the app never imports it: the benchmark
registers its admin on a site of its own (``bench_site``: the app's declarations and this one),
served by its own app module (benchmarks/bench_app.py). Its declaration is what a real admin
would write.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from clss_app import menu
from clss_app.admin import Count, ModelAdmin
from clss_app.admin.site import AdminSite
from clss_app.site import build
from models import LabeledEnum, Role
from models.base import enum_column, money


class FeeType(LabeledEnum):
    RENT = ("rent", "租金")
    PROPERTY = ("property", "物业费")
    WATER = ("water", "水费")
    POWER = ("power", "电费")
    NET = ("net", "网费")


class BillState(LabeledEnum):
    UNCONFIRMED = ("unconfirmed", "未确认")
    CONFIRMED = ("confirmed", "已确认")
    PARTLY_PAID = ("partly_paid", "部分收款")
    PAID = ("paid", "已收款")
    REVOKED = ("revoked", "已撤销")


class BenchBill(SQLModel, table=True):
    __tablename__ = "bench_bill"
    __table_args__ = (
        sa.Index("ix_bench_status", "status"),
        sa.Index("ix_bench_amount", "amount"),
        sa.Index("ix_bench_due", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    room: str = Field(max_length=32, title="房间")
    tenant_name: str = Field(max_length=32, title="租客")
    fee_type: FeeType = Field(sa_column=enum_column(FeeType, nullable=False), title="费项")
    amount: Decimal = money("金额")
    due_date: date = Field(title="应收日期")
    status: BillState = Field(sa_column=enum_column(BillState, nullable=False), title="状态")


class BenchBillAdmin(ModelAdmin, model=BenchBill, key="bench_bills"):
    list_columns = ["id", "room", "tenant_name", "fee_type", "amount", "due_date", "status"]
    search = ["tenant_name", "room"]
    filters = ["status", "fee_type", "due_date", "amount"]
    form = ["room", "tenant_name", "fee_type", "amount", "due_date", "status"]
    page_sizes = (50, 100, 20)
    count = Count.CAPPED
    can_export = can_import = can_create = frozenset({Role.SUPER_ADMIN})


ENTRY = menu.MenuEntry("bench_bills", "基准测试账单", "/bench/bills", frozenset({Role.SUPER_ADMIN}))
ENTRIES = {**menu.ENTRIES, ENTRY.key: ENTRY}


@cache
def bench_site() -> AdminSite:
    """The app's declarations plus the benchmark's admin, finalized and served in this process."""
    site = build(ENTRIES)
    site.register(BenchBillAdmin)
    return site.finalize().serve()


SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "桂英", "建华"]


def fill(engine: sa.Engine, rows: int = 1_000_000, seed: int = 7) -> None:
    """Create and fill bench_bill (about 15 s for a million rows on this machine)."""
    BenchBill.__table__.drop(engine, checkfirst=True)
    BenchBill.__table__.create(engine)
    rng = random.Random(seed)
    fees, states = list(FeeType), list(BillState)
    start = date(2023, 1, 1)
    with engine.begin() as conn:
        batch = []
        for i in range(1, rows + 1):
            batch.append(
                (
                    i,
                    f"{rng.randint(1, 30)}-{rng.randint(1, 33)}{rng.randint(1, 20):02d}",
                    rng.choice(SURNAMES) + rng.choice(GIVEN),
                    rng.choice(fees).value,
                    f"{rng.randint(3000, 900000) / 100:.2f}",
                    (start + timedelta(days=rng.randint(0, 999))).isoformat(),
                    rng.choice(states).value,
                )
            )
            if len(batch) == 50_000:
                conn.exec_driver_sql("INSERT INTO bench_bill VALUES (?,?,?,?,?,?,?)", batch)
                batch.clear()
        if batch:
            conn.exec_driver_sql("INSERT INTO bench_bill VALUES (?,?,?,?,?,?,?)", batch)
        conn.exec_driver_sql("ANALYZE")
