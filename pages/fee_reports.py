"""收费报表: the finance reports, each a declared Dashboard (project and month filters, tables, 导出Excel).

The figures are ``clss_app.services.fee_reports``' (whose 应收, 已收, 收缴率, 欠费 and 实收 are
``figures``' definitions); this module lays them out. Money comes in cents and leaves in yuan.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
from sqlmodel import Session

from clss_app.admin.fields import parse_month
from clss_app.admin.widgets import CellType, Chart, Dashboard, Filter, Stat, Table
from clss_app.core import clock
from clss_app.services import fee_reports as fr
from clss_app.services import figures
from clss_app.services.permissions import Principal
from models import DepositState, Project

BLUE, GREEN, ORANGE, RED, GREY = "#2563eb", "#16a34a", "#ea580c", "#dc2626", "#94a3b8"
PROJECT = Filter.rows("project", "项目", Project, "全部项目")
MONTH = Filter.month()
MONEY: CellType = "money"
PERCENT: CellType = "percent"
INT: CellType = "int"


def _choice(chosen: dict[str, str]) -> fr.Choice:
    """The filters' values (each one of the options offered: the engine checked them) as a report's question."""
    day = chosen.get("day", "")
    return fr.Choice(
        month=parse_month(chosen["month"]) if chosen.get("month") else None,
        project_id=int(chosen.get("project") or 0),
        today=clock.today(),
        day=date.fromisoformat(day) if day else None,
    )


def _yuan_text(cents: int) -> str:
    return f"¥{fr.yuan(cents):,.2f}"


def _money(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The row with its cent amounts in yuan."""
    return {**row, **{k: fr.yuan(row[k]) for k in keys}}


class Report(Dashboard):
    """A report of one month: project and month filters; ``name`` is its function in services/fee_reports."""

    name = ""
    filters = [PROJECT, MONTH]

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, Any]:
        return fr.report(session, p, cls.name, _choice(chosen))


# ---------------------------------------------------------------- 应收/实收/欠费


def _fees_figure(d) -> go.Figure:
    rows = d["rows"]
    x = [r["fee"] for r in rows]
    return go.Figure(
        [
            go.Bar(name=label, x=x, y=[r[k] / 100 for r in rows], marker_color=colour)
            for k, label, colour in (("owed", "应收", GREY), ("paid", "已收", BLUE), ("arrears", "欠费", RED))
        ]
    ).update_layout(legend=dict(orientation="h", y=1.12, x=0), barmode="group")


class FeeReport(Report, key="fee_report"):
    name = "fees"
    description = "所选月份应收日期内的账单，按费项：应收、已收、欠费、收缴率；实收为该月收款登记的合计（退款为负）。"
    widgets = [
        Stat("owed", "应收", lambda d: _yuan_text(d["total"]["owed"]), "receipt", GREY, hint=figures.RECEIVABLE.hint),
        Stat("paid", "已收", lambda d: _yuan_text(d["total"]["paid"]), "badge-check", BLUE, hint=figures.RECEIVED.hint),
        Stat(
            "arrears",
            "欠费",
            lambda d: _yuan_text(d["total"]["arrears"]),
            "triangle-alert",
            RED,
            hint="应收日期在所选月份内、已确认或部分收款、应收日已过仍未收的金额",
        ),
        Stat(
            "revenue", "实收", lambda d: _yuan_text(d["total"]["revenue"]), "wallet", GREEN, hint=figures.REVENUE.hint
        ),
        Chart("fees", "各费项应收、已收与欠费（元）", _fees_figure, span=4),
        Table(
            "fees",
            "按费项",
            [
                ("fee", "费项"),
                ("bills", "账单数"),
                ("owed", "应收"),
                ("paid", "已收"),
                ("arrears", "欠费"),
                ("rate", "收缴率"),
                ("revenue", "实收"),
            ],
            lambda d: [
                {**_money(r, "owed", "paid", "arrears", "revenue"), "rate": figures.ratio(r["paid"], r["owed"])}
                for r in [*d["rows"], {"fee": "合计", **d["total"]}]
            ],
            types={"bills": INT, "owed": MONEY, "paid": MONEY, "arrears": MONEY, "rate": PERCENT, "revenue": MONEY},
            hints={"rate": figures.COLLECTION.hint, "revenue": figures.REVENUE.hint},
        ),
    ]


# ---------------------------------------------------------------- 收缴率


def _rates_figure(d) -> go.Figure:
    rows = d["rows"]
    x = [r["name"] for r in rows]
    prev = f"{d['prev_month']:%Y-%m}"
    return go.Figure(
        [
            go.Bar(
                name=f"上月（{prev}）",
                x=x,
                y=[None if r["prev_rate"] is None else r["prev_rate"] * 100 for r in rows],
                marker_color=GREY,
                hovertemplate="%{x} 上月收缴率：%{y:.1f}%<extra></extra>",
            ),
            go.Bar(
                name="本月",
                x=x,
                y=[None if r["rate"] is None else r["rate"] * 100 for r in rows],
                marker_color=GREEN,
                hovertemplate="%{x} 收缴率：%{y:.1f}%<extra></extra>",
            ),
        ]
    ).update_layout(
        legend=dict(orientation="h", y=1.12, x=0), barmode="group", yaxis=dict(range=[0, 105], ticksuffix="%")
    )


class CollectionReport(Report, key="collection_report"):
    name = "collection"
    description = "各项目所选月份的收缴率（已收 ÷ 应收），与上月对比。"
    widgets = [
        Stat(
            figures.COLLECTION.key,
            figures.COLLECTION.label,
            lambda d: figures.percent(figures.ratio(d["total"]["paid"], d["total"]["owed"])),
            "percent",
            GREEN,
            note=lambda d: f"已收 {_yuan_text(d['total']['paid'])} / 应收 {_yuan_text(d['total']['owed'])}",
            hint=figures.COLLECTION.hint,
        ),
        Stat("prev", "上月收缴率", lambda d: figures.percent(d["prev_rate"]), "history", GREY),
        Stat("arrears", "欠费", lambda d: _yuan_text(d["total"]["arrears"]), "triangle-alert", RED),
        Stat("bills", "应收账单", lambda d: d["total"]["bills"], "receipt", BLUE),
        Chart("rates", "收缴率对比（按项目）", _rates_figure, span=4, height=320),
        Table(
            "projects",
            "按项目",
            [
                ("name", "项目"),
                ("bills", "账单数"),
                ("owed", "应收"),
                ("paid", "已收"),
                ("arrears", "欠费"),
                ("rate", "收缴率"),
                ("prev_rate", "上月收缴率"),
            ],
            lambda d: [_money(r, "owed", "paid", "arrears") for r in d["rows"]],
            types={"bills": INT, "owed": MONEY, "paid": MONEY, "arrears": MONEY, "rate": PERCENT, "prev_rate": PERCENT},
            hints={"rate": figures.COLLECTION.hint},
        ),
    ]


# ---------------------------------------------------------------- 现金台账


def _days(session: Session, p: Principal, chosen: dict[str, str]) -> list[tuple[str, str]]:
    """The days of the month chosen, up to today (the latest first)."""
    try:
        month = parse_month(chosen.get("month", ""))
    except ValueError:
        return []
    return [(d.isoformat(), d.isoformat()) for d in fr.days_of(month, clock.today())]


def _ledger_sums(key: str, title: str, first: tuple[str, str]) -> Table:
    """The month's ledger summed by ``first`` (a day, a 收款方式): lines, money in, money out, net."""
    return Table(
        key,
        title,
        [first, ("n", "笔数"), ("in", "收入"), ("out", "退款及冲减"), ("net", "净收")],
        lambda d: [_money(r, "in", "out", "net") for r in d[key]],
        span=2,
        types={"n": INT, "in": MONEY, "out": MONEY, "net": MONEY},
    )


class CashLedger(Report, key="cash_ledger"):
    name = "cash"
    description = "账本的每一笔：收款登记、扫码支付、代扣、预收冲抵、结转与退款（负数）。选择日期查看当日明细。"
    filters = [PROJECT, MONTH, Filter("day", "日期", choices=_days)]
    widgets = [
        Stat("month_net", "本月净收", lambda d: _yuan_text(sum(r["net"] for r in d["days"])), "wallet", BLUE),
        Stat("month_out", "本月退款及冲减", lambda d: _yuan_text(sum(r["out"] for r in d["days"])), "undo-2", RED),
        Stat("day_n", "当日笔数", lambda d: len(d["lines"]), "list", GREY),
        Stat("day_net", "当日净收", lambda d: f"¥{sum(r['amount'] for r in d['lines']):,.2f}", "banknote", GREEN),
        Table(
            "lines",
            "当日明细",
            [
                ("id", "流水号"),
                ("project", "项目"),
                ("bill", "账单"),
                ("fee", "费项"),
                ("amount", "金额"),
                ("method", "收款方式"),
                ("source", "来源"),
                ("receipt", "凭证/单号"),
                ("by", "登记人/程序"),
            ],
            lambda d: d["lines"],
            types={"amount": MONEY},
            limit=fr.DAY_LINES_SHOWN,
            empty="当日没有账本记录",
        ),
        _ledger_sums("days", "每日汇总", ("day", "日期")),
        _ledger_sums("methods", "按收款方式（本月）", ("method", "收款方式")),
    ]


# ---------------------------------------------------------------- 押金收退


class DepositReport(Report, key="deposit_report"):
    name = "deposits"
    description = (
        "押金：当月收取（不含续租、换房的结转）、当月退房退还或抵扣，及目前在押；定金：当月登记的预定，按定金去向。"
    )
    widgets = [
        Stat("taken", "本月收取押金", lambda d: _yuan_text(d["total"]["taken"]), "hand-coins", BLUE),
        Stat("returned", "本月退还押金", lambda d: _yuan_text(d["total"]["returned"]), "undo-2", ORANGE),
        Stat("held", "在押押金", lambda d: _yuan_text(d["total"]["held"]), "lock", GREEN),
        Stat("held_n", "在押合同", lambda d: d["total"]["held_n"], "file-text", GREY),
        Table(
            "deposits",
            "押金收退（按项目）",
            [
                ("name", "项目"),
                ("taken_n", "收取笔数"),
                ("taken", "收取金额"),
                ("returned_n", "退还笔数"),
                ("returned", "退还金额"),
                ("held_n", "在押合同数"),
                ("held", "在押金额"),
            ],
            lambda d: [_money(r, "taken", "returned", "held") for r in [*d["rows"], {"name": "合计", **d["total"]}]],
            types={
                "taken_n": INT,
                "taken": MONEY,
                "returned_n": INT,
                "returned": MONEY,
                "held_n": INT,
                "held": MONEY,
            },
            hints={"returned": "当月退房的合同已收的押金，经退房结算退还或抵扣欠款"},
        ),
        Table(
            "reservations",
            "定金（当月预定）",
            [("name", "项目"), ("n", "预定数"), ("amount", "定金合计")] + [(s.value, s.label) for s in DepositState],
            lambda d: [_money(r, "amount", *[s.value for s in DepositState]) for r in d["holds"]],
            types={"n": INT, "amount": MONEY, **{s.value: MONEY for s in DepositState}},
        ),
    ]


# ---------------------------------------------------------------- 退款/调账


class RefundReport(Report, key="refund_report"):
    name = "refunds"
    description = "当月退房结算产生的退款（按状态）、当月实际退出的金额，以及当月申请的账单调整（调账）。"
    widgets = [
        Stat("refund_n", "退款笔数", lambda d: sum(r["n"] for r in d["refund_states"]), "undo-2", ORANGE),
        Stat(
            "refund_amount",
            "退款金额",
            lambda d: _yuan_text(sum(r["amount"] for r in d["refund_states"])),
            "banknote",
            RED,
        ),
        Stat("refunded", "本月已退出", lambda d: _yuan_text(d["refunded"]), "badge-check", GREEN),
        Stat("adjust_n", "调账笔数", lambda d: len(d["adjust_rows"]), "file-pen", BLUE),
        Table(
            "refund_states",
            "退款（按状态）",
            [("state", "状态"), ("n", "笔数"), ("amount", "金额")],
            lambda d: [_money(r, "amount") for r in d["refund_states"]],
            span=2,
            types={"n": INT, "amount": MONEY},
        ),
        Table(
            "adjust_kinds",
            "调账（按类型）",
            [("kind", "调整类型"), ("n", "申请笔数"), ("applied", "已生效"), ("change", "已生效调整额")],
            lambda d: [_money(r, "change") for r in d["adjust_kinds"]],
            span=2,
            types={"n": INT, "applied": INT, "change": MONEY},
        ),
        Table(
            "refunds",
            "退款明细",
            [
                ("day", "结算日期"),
                ("project", "项目"),
                ("bill", "账单"),
                ("tenant", "租客"),
                ("amount", "金额"),
                ("state", "状态"),
            ],
            lambda d: [_money(r, "amount") for r in d["refund_rows"]],
            types={"amount": MONEY},
            limit=200,
            empty="当月没有退款",
        ),
        Table(
            "adjustments",
            "调账明细",
            [
                ("day", "申请日期"),
                ("project", "项目"),
                ("bill", "账单"),
                ("kind", "调整类型"),
                ("before", "原金额"),
                ("after", "调整后"),
                ("change", "调整额"),
                ("state", "状态"),
                ("reason", "原因"),
            ],
            lambda d: [_money(r, "before", "after", "change") for r in d["adjust_rows"]],
            types={"before": MONEY, "after": MONEY, "change": MONEY},
            limit=200,
            empty="当月没有调账",
        ),
    ]


# ---------------------------------------------------------------- 账龄分析

BANDS = [(f"b{i}", label) for i, (label, _, _) in enumerate(figures.AGE_BANDS)]


def _aging_figure(d) -> go.Figure:
    rows = d["by_project"]
    colours = ["#facc15", "#fb923c", "#ea580c", "#b91c1c"]  # older, darker
    return go.Figure(
        [
            go.Bar(name=label, x=[r["name"] for r in rows], y=[r[k] / 100 for r in rows], marker_color=c)
            for (k, label), c in zip(BANDS, colours)
        ]
    ).update_layout(legend=dict(orientation="h", y=1.12, x=0), barmode="stack", yaxis=dict(tickprefix="¥"))


def _aging_rows(rows: list[dict]) -> list[dict]:
    return [_money(r, *[k for k, _ in BANDS], "total") for r in rows]


AGING_TYPES: dict[str, CellType] = {"n": INT, "total": MONEY, **{k: MONEY for k, _ in BANDS}}


class AgingReport(Report, key="aging_report"):
    name = "aging"
    description = "截至今天仍欠费的账单（已确认或部分收款、应收日已过），按逾期天数分段；可按应收月份筛选。"
    filters = [PROJECT, Filter.month(label="应收月份", all_label="全部月份")]
    widgets = [
        Stat(
            "total",
            "欠费总额",
            lambda d: _yuan_text(d["total"]["total"]),
            "triangle-alert",
            RED,
            hint=figures.ARREARS.hint,
        ),
        Stat("n", "欠费账单", lambda d: d["total"]["n"], "receipt", GREY),
        Stat("over90", "逾期90天以上", lambda d: _yuan_text(d["total"][BANDS[-1][0]]), "hourglass", ORANGE),
        Stat(
            "share90",
            "90天以上占比",
            lambda d: figures.percent(figures.ratio(d["total"][BANDS[-1][0]], d["total"]["total"])),
            "percent",
            ORANGE,
        ),
        Chart("aging", "各项目欠费账龄（元）", _aging_figure, span=4, height=320),
        Table(
            "by_project",
            "按项目",
            [("name", "项目"), ("n", "账单数"), *BANDS, ("total", "合计")],
            lambda d: _aging_rows([*d["by_project"], {"name": "合计", **d["total"]}]),
            types=AGING_TYPES,
        ),
        Table(
            "by_fee",
            "按费项",
            [("fee", "费项"), ("n", "账单数"), *BANDS, ("total", "合计")],
            lambda d: _aging_rows(d["by_fee"]),
            types=AGING_TYPES,
        ),
    ]
