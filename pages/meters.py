"""三表抄表: 仪表档案 (the register, 公摊计算 on master meters), 抄表读数 (返销), 换表记录, 公摊记录 and
公摊明细, 阶梯价格, and the 三表抄表报表 dashboard. The 抄表录入 grid is pages/meter_entry.py.

The rules live in clss_app/services/meters.py (readings, prices, bills) and allocation.py (公摊, 返销).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from clss_app.admin import (
    Action,
    Count,
    Errors,
    Input,
    Link,
    ModelAdmin,
    Month,
    Range,
    Scope,
    Values,
    Within,
    ask,
)
from clss_app.admin.widgets import Dashboard, Filter, Stat, Table, list_link
from clss_app.core.roles import FIN, OWNERS, STORE
from clss_app.services import allocation, figures, meter_report, meters
from clss_app.services.permissions import Principal
from models import (
    Allocation,
    AllocationLine,
    Meter,
    MeterKind,
    MeterReplacement,
    PriceTier,
    ReadingState,
    UtilityReading,
)

IN_PROJECT = Within("project_id")

ALLOCATE = Action(
    "allocate",
    "公摊计算",
    allocation.allocate_month,
    STORE,
    confirm="按所选总表的公摊方式，把所选月份的路耗与公共表用量分摊到各房间并生成公摊账单？",
    inputs=ask(Allocation, "month", month=(Month(), Input(help="该总表及其全部分表须已抄表"))),
    when={"kind": (MeterKind.MASTER,)},
    primary=True,
)


class MeterAdmin(ModelAdmin, model=Meter, key="meters"):
    noun = "仪表"
    list_columns = [
        "code",
        "name",
        "utility",
        "kind",
        "room_id",
        "parent_id",
        "multiplier",
        "initial_reading",
        "share_method",
        "building_id",
        "active",
    ]
    search = ["code", "name", "room.number"]
    filters = ["project_id", "building_id", "utility", "kind", "parent_id", "active"]
    primary_filters = ["project_id", "utility", "kind"]
    form = [
        "project_id",
        "kind",
        "utility",
        "code",
        "name",
        "building_id",
        "room_id",
        "parent_id",
        "pricing_id",
        "multiplier",
        "initial_reading",
        "share_method",
        "active",
    ]
    fields_override = {
        "building_id": (IN_PROJECT, Input(help="分表按房间所在楼栋；项目总表不选楼栋")),
        "room_id": (IN_PROJECT, Input(help="仅分表：该表计量的房间")),
        "parent_id": (IN_PROJECT, Input(help="分表和公共表挂在哪块总表下（公摊时计入）")),
        "pricing_id": (IN_PROJECT, Input(help="电按元/度、水按元/吨、燃气按元/m³；总表的单价用于公摊")),
        "multiplier": Range(0, 10_000),
        "initial_reading": Range(0, 9_999_999_999),
        "share_method": Input(help="仅总表：按户均摊、按面积或按用量分摊到其分表的房间"),
    }
    picker_hint = "name"
    default_sort = "code"
    scope = Scope.project("project_id")
    can_create = can_update = can_import = can_export = STORE
    links = [
        Link("分表", "meters", "parent_id", totals=()),
        Link("抄表读数", "utility_readings", "meter_id", totals=("amount",)),
        Link("换表记录", "meter_replacements", "meter_id", totals=()),
        Link("公摊记录", "allocations", "master_id", totals=("amount",)),
    ]
    actions = [ALLOCATE]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Meter | None) -> Errors:
        return meters.meter_problems(session, values, row)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Meter | None) -> str:
        meters.prepare_meter(session, values)
        return ""


class UtilityReadingAdmin(ModelAdmin, model=UtilityReading, key="utility_readings"):
    noun = "读数"
    list_columns = [
        "meter_id",
        "room_id",
        "month",
        "previous",
        "reading",
        "replaced",
        "use",
        "amount",
        "state",
        "note",
        "read_by_id",
    ]
    search = ["meter.code", "room.number", "note"]
    filters = ["project_id", "building_id", "month", "state", "meter_id", "room_id", "replaced", "read_by_id"]
    primary_filters = ["project_id", "month", "state"]
    fields_override = {"month": Month()}
    default_sort = "-month"
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = STORE | FIN
    links = [Link("换表记录", "meter_replacements", "reading_id", totals=())]
    actions = [
        Action(
            "reverse",
            "返销",
            allocation.reverse_readings,
            STORE,
            danger=True,
            input_label="返销原因",
            input_required=True,
            inputs=ask(
                UtilityReading,
                "reading",
                reading=Input(
                    label="正确读数", required=False, help="填写则按此读数重新抄表，并重算该月公摊；不填则只返销"
                ),
            ),
            confirm="返销选中的 {n} 条读数？其账单撤销，该月公摊撤销（填写正确读数则重算）；已收款的不能返销。",
            when={"state": (ReadingState.VALID,)},
        )
    ]


class MeterReplacementAdmin(ModelAdmin, model=MeterReplacement, key="meter_replacements"):
    noun = "换表记录"
    list_columns = ["meter_id", "replaced_on", "old_final", "new_initial", "state", "reading_id", "created_by_id"]
    filters = ["project_id", "meter_id", "replaced_on", "state", "reading_id"]
    default_sort = "-replaced_on"
    scope = Scope.project("project_id")
    can_export = STORE


class AllocationAdmin(ModelAdmin, model=Allocation, key="allocations"):
    noun = "公摊"
    list_columns = [
        "master_id",
        "month",
        "method",
        "master_use",
        "rooms_use",
        "common_use",
        "loss",
        "shared_use",
        "amount",
        "room_count",
        "state",
    ]
    filters = ["project_id", "month", "method", "state", "master_id"]
    fields_override = {"month": Month()}
    detail_groups = {
        "公摊": ["master_id", "project_id", "month", "method", "state", "note", "created_by_id", "created_at"],
        "用量与金额": [
            "master_use",
            "rooms_use",
            "common_use",
            "loss",
            "shared_use",
            "unit_price",
            "amount",
            "room_count",
        ],
    }
    default_sort = "-month"
    scope = Scope.project("project_id")
    can_export = STORE | FIN
    links = [Link("分摊明细", "allocation_lines", "allocation_id", totals=("amount",))]


class AllocationLineAdmin(ModelAdmin, model=AllocationLine, key="allocation_lines"):
    noun = "分摊明细"
    list_columns = ["allocation_id", "room_id", "basis", "share", "quantity", "amount", "bill_id", "note"]
    search = ["room.number"]
    filters = ["allocation_id", "project_id", "room_id"]
    default_sort = "id"
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = STORE | FIN


class PriceTierAdmin(ModelAdmin, model=PriceTier, key="price_tiers"):
    noun = "阶梯价格"
    list_columns = ["pricing_id", "above", "unit_price", "project_id"]
    filters = ["project_id", "pricing_id"]
    form = ["pricing_id", "above", "unit_price"]
    fields_override = {
        "above": (Range(0, 9_999_999), Input(help="每块表一个月的用量超过此数的部分按本档单价；以下按计费标准的单价")),
        "unit_price": Range(0, 1000),
    }
    default_sort = "pricing_id"
    scope = Scope.project("project_id")
    can_create = can_update = can_delete = OWNERS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: PriceTier | None) -> Errors:
        return meters.tier_problems(session, values)


class MeterReportDashboard(Dashboard, key="meter_report"):
    """三表抄表报表: a project's month: each building's reading progress and amounts, each master's 公摊."""

    description = "所选项目与月份的抄表进度、出账金额与各总表公摊；点击数字查看明细。"

    columns = 4
    filters = [Filter("project", "项目"), Filter("month", "月份")]
    widgets = [
        Stat("meters", "在用表数", lambda d: d["meters"], icon="gauge"),
        Stat(
            figures.READ_RATE.key,
            figures.READ_RATE.label,
            lambda d: figures.percent(figures.ratio(d["read"], d["meters"])),
            icon="clipboard-check",
            colour="#16a34a",
            note=lambda d: f"已抄 {d['read']} / 在用 {d['meters']}",
            hint=figures.READ_RATE.hint,
            link=lambda d: d["readings_link"],
        ),
        Stat("billed", "抄表出账金额", lambda d: d["billed"], icon="receipt", colour="#7c3aed"),
        Stat("shared", "公摊金额", lambda d: d["shared"], icon="split", colour="#ea580c"),
        Table(
            "buildings",
            "分楼栋抄表",
            [
                ("building", "楼栋"),
                ("utility", "类别"),
                ("meters", "在用表数"),
                ("read", "已抄"),
                ("unread", "未抄"),
                ("use", "用量"),
                ("amount", "出账金额"),
                ("warnings", "异常提示"),
            ],
            lambda d: d["buildings"],
            links={"read": "read_link"},
        ),
        Table(
            "masters",
            "总表公摊",
            [
                ("code", "总表"),
                ("utility", "类别"),
                ("method", "公摊方式"),
                ("master_use", "总表用量"),
                ("rooms_use", "分表用量"),
                ("common_use", "公共表用量"),
                ("loss", "路耗"),
                ("loss_rate", "路耗率"),
                ("amount", "公摊金额"),
                ("state", "状态"),
            ],
            lambda d: d["masters"],
            link="link",
            hints={"loss_rate": figures.LOSS_RATE.hint},
        ),
    ]

    @classmethod
    def filter_options(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
        return meter_report.options(session, p)

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, Any]:
        d = meter_report.month(session, p, int(chosen["project"] or 0), chosen["month"])
        pid, month = d["project_id"], d["month"]
        d["readings_link"] = list_link(p, "utility_readings", project_id=pid, month=f"{month:%Y-%m}") if pid else ""
        for b in d["buildings"]:
            b["read_link"] = list_link(
                p, "utility_readings", project_id=pid, month=f"{month:%Y-%m}", building_id=b["building_id"]
            )
        for m in d["masters"]:
            m["link"] = (
                list_link(p, "allocation_lines", allocation_id=m["allocation_id"])
                if "allocation_id" in m
                else list_link(p, "meters", parent_id=m["meter_id"])
            )
        return d
