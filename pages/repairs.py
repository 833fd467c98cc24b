"""报修与工单: 报修工单 (登记 → 审核 → 派工 → 接单 → 回单 → 回访 → 归档), 回单记录, 派工记录, 外委单位 and
工单报表, as declarations. The rules and who owns each step: clss_app/services/repairs.py; the report's
figures: clss_app/services/repair_figures.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from clss_app.admin import (
    Action,
    Errors,
    Images,
    Input,
    Link,
    ModelAdmin,
    Range,
    Scope,
    Sort,
    Values,
    approve_reject,
    ask,
)
from clss_app.admin.fields import FieldSpec, parse_month
from clss_app.admin.widgets import Dashboard, Filter, Stat, Table, list_link
from clss_app.core import clock
from clss_app.core.roles import OWNERS, STORE
from clss_app.services import figures, repairs, room_board
from clss_app.services import repair_figures as rf
from clss_app.services.permissions import Principal
from models import RepairCategory, RepairDispatch, RepairOrder, RepairReport, RepairState, RepairVendor

S = RepairState
PHOTOS = Images(max_count=repairs.MAX_PHOTOS)
CATEGORY_LABELS = "、".join(c.label for c in RepairCategory)


def _dispatch_action(name: str, label: str, fn, when: tuple[RepairState, ...], primary: bool) -> Action:
    return Action(
        name,
        label,
        fn,
        repairs.MANAGERS,
        inputs=(
            FieldSpec("assignee", "派工对象", "str", required=True, help="本项目的员工，或承接该类别的外委单位"),
            *ask(RepairDispatch, "note"),
        ),
        choices=repairs.assignee_choices,
        confirm="将选中的 {n} 张工单派给所选处理人：要求完成时间为现在起按该类别的报修时限（企业参数）计算。",
        when={"state": when},
        primary=primary,
    )


class RepairOrderAdmin(ModelAdmin, model=RepairOrder, key="repairs"):
    list_columns = [
        "number",
        "room_id",
        "category",
        "state",
        "urgency",
        "description",
        "assignee_id",
        "vendor_id",
        "due_at",
        "created_at",
    ]
    search = ["number", "description", "room.number", "tenant.name"]
    filters = [
        "state",
        "project_id",
        "category",
        "created_at",
        "due_at",
        "urgency",
        "assignee_id",
        "vendor_id",
        "dispatch_count",
        "on_time",
        "satisfaction",
        "room_id",
    ]
    form = ["room_id", "category", "urgency", "description", "preferred_time", "photos"]
    detail_groups = {
        "报修": [
            "number",
            "state",
            "project_id",
            "room_id",
            "tenant_id",
            "contract_id",
            "category",
            "urgency",
            "description",
            "photos",
            "preferred_time",
            "registered_by_id",
            "created_at",
        ],
        "审核与派工": [
            "reviewed_by_id",
            "reviewed_at",
            "reason",
            "dispatch_count",
            "assignee_id",
            "vendor_id",
            "dispatched_at",
            "due_at",
            "accepted_at",
        ],
        "回单与回访": ["reported_at", "on_time", "satisfaction", "visit_comment", "visited_by_id", "visited_at"],
        "归档": ["archived_at"],
    }
    fields_override = {
        "photos": PHOTOS,
        "description": Input(help=f"说明报修区域和问题，不超过 {repairs.MAX_DESCRIPTION} 字"),
        "preferred_time": Input(help="租客方便上门的时间，如 周六上午"),
        "satisfaction": Range(1, 5),
    }
    noun = "工单"
    create_label = "登记报修"
    # The work first: what waits for someone, the earliest due on top; then the rest, newest first.
    default_sort = Sort(
        "due_at", first={"state": (S.PENDING, S.APPROVED, S.DISPATCHED, S.ACCEPTED, S.REPORTED, S.VISITED)}, then="-id"
    )
    scope = Scope.project("project_id")
    can_create = repairs.REGISTRARS
    can_export = STORE
    update_when = {"state": (S.PENDING,)}
    can_update = repairs.REGISTRARS
    links = [
        Link("派工记录", "repair_dispatches", "order_id", totals=()),
        Link("回单", "repair_reports", "order_id", totals=("cost",)),
    ]
    actions = [
        *approve_reject(repairs.decide, repairs.MANAGERS, when={"state": (S.PENDING,)}),
        _dispatch_action("dispatch", "派工", repairs.dispatch, (S.APPROVED,), True),
        _dispatch_action("redispatch", "二次派工", repairs.redispatch, repairs.OPEN_WORK, False),
        Action(
            "accept",
            "接单",
            repairs.accept,
            repairs.WORKERS,
            confirm="确认接单？接单后开始处理，处理完成后回单。",
            when={"state": (S.DISPATCHED,)},
            primary=True,
        ),
        Action(
            "report",
            "填写回单",
            repairs.start_report,
            repairs.WORKERS,
            confirm="填写回单：处理结果、更换的配件材料、费用、完工照片，以及是否向租客收费。",
            when={"state": (S.ACCEPTED,)},
            primary=True,
        ),
        Action(
            "visit",
            "回访",
            repairs.visit,
            repairs.VISITORS,
            inputs=ask(
                RepairOrder,
                "satisfaction",
                "visit_comment",
                required=("satisfaction",),
                satisfaction=(Range(1, 5), Input(help="1–5 分，5 分最满意")),
            ),
            confirm="记录租客对本次维修的评价。",
            when={"state": (S.REPORTED,)},
            primary=True,
        ),
        Action(
            "archive",
            "归档",
            repairs.archive,
            repairs.MANAGERS,
            confirm="将选中的 {n} 张工单归档？归档后不再变更。",
            when={"state": (S.VISITED,)},
            primary=True,
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: RepairOrder | None) -> Errors:
        return repairs.registration_problems(session, p, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: RepairOrder | None) -> str:
        repairs.fill_registration(session, p, values, new=row is None)
        return f"已登记报修 {values['number']}，待店长审核" if row is None else ""


class RepairReportAdmin(ModelAdmin, model=RepairReport, key="repair_reports"):
    """回单: saved once per order, from the order's 回单 (the form opens prefilled with it)."""

    list_columns = [
        "order_id",
        "work_done",
        "materials",
        "cost",
        "charge_tenant",
        "bill_id",
        "reported_by_id",
        "created_at",
    ]
    search = ["order.number", "work_done", "materials"]
    filters = ["order_id", "project_id", "charge_tenant", "created_at"]
    form = ["order_id", "work_done", "materials", "cost", "charge_tenant", "photos"]
    fields_override = {
        "photos": PHOTOS,
        "cost": (Range(0, repairs.MAX_COST), Input(help="不收费可填 0")),
        "charge_tenant": Input(help="是：按维修费用为该房间租客生成一笔非合同类账单（维修费）"),
        "order_id": Input(help="处理中的工单"),
    }
    noun = "回单"
    create_label = "回单"
    default_sort = "-id"
    scope = Scope.project("project_id")
    can_create = repairs.WORKERS
    can_export = STORE

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: RepairReport | None) -> Errors:
        return repairs.report_problems(session, p, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: RepairReport | None) -> str:
        repairs.fill_report(session, p, values)
        return "已回单，待回访" + ("；已为租客生成维修费账单（未确认）" if values.get("charge_tenant") else "")

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: RepairReport) -> None:
        repairs.file_report(session, p, row)


class RepairDispatchAdmin(ModelAdmin, model=RepairDispatch, key="repair_dispatches"):
    """派工记录: every 派工 of every order (二次派工 keeps the earlier), read only."""

    list_columns = [
        "order_id",
        "seq",
        "assignee_id",
        "vendor_id",
        "due_at",
        "note",
        "dispatched_by_id",
        "dispatched_at",
    ]
    search = ["order.number", "note"]
    filters = ["order_id", "project_id", "assignee_id", "vendor_id", "dispatched_at"]
    noun = "派工"
    default_sort = "-id"
    scope = Scope.project("project_id")
    can_export = STORE


class RepairVendorAdmin(ModelAdmin, model=RepairVendor, key="repair_vendors"):
    list_columns = ["name", "categories", "contact", "phone", "active", "company_id"]
    search = ["name", "contact"]
    filters = ["active", "company_id"]
    form = ["company_id", "name", "categories", "contact", "phone", "active"]
    fields_override = {"categories": Input(help=f"可选：{CATEGORY_LABELS}，多个用逗号或顿号分隔")}
    noun = "外委单位"
    default_sort = "name"
    scope = Scope.unit("company_id")
    can_create = can_update = OWNERS
    can_export = STORE

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: RepairVendor | None) -> Errors:
        return repairs.vendor_problems(values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: RepairVendor | None) -> str:
        values["categories"] = repairs.canonical_categories(str(values.get("categories") or ""))
        return ""


# ---------------------------------------------------------------- 工单报表


def _links(p: Principal, d: dict[str, Any]) -> dict[str, Any]:
    """Each figure's orders: the 报修工单 list filtered to them."""
    month = d["month"]

    def orders(**kw: Any) -> str:
        return list_link(
            p,
            "repairs",
            project_id=d["project_id"] or None,
            created_at__gte=month.first.isoformat(),
            created_at__lte=month.last.isoformat(),
            **kw,
        )

    handled = [s for s in RepairState if s not in (S.PENDING, S.REJECTED)]
    return {
        "orders": orders(),
        "completion": orders(state=repairs.REPORTED),
        "handled": orders(state=handled),
        "response": orders(state=[S.ACCEPTED, *repairs.REPORTED]),
        "finish": orders(state=repairs.REPORTED),
        "on_time": orders(state=repairs.REPORTED, on_time="true"),
        "redispatch": orders(dispatch_count__gte=2),
        "visit": orders(state=rf.VISITED),
        "satisfaction": orders(state=rf.VISITED),
        "staff": {
            (w["kind"], w["id"]): orders(**({"assignee_id": w["id"]} if w["kind"] == "u" else {"vendor_id": w["id"]}))
            for w in d["workload"]
        },
    }


def _stat(f: figures.Figure, value, icon: str, colour: str, note=None) -> Stat:
    return Stat(f.key, f.label, value, icon, colour, link=lambda d: d["links"][f.key], note=note, hint=f.hint)


def _rate(f: figures.Figure, icon: str, colour: str, part: tuple[str, str], whole: tuple[str, str]) -> Stat:
    """A rate with what it counts over what under it ("二次派工 1 / 已派工 3")."""
    return _stat(
        f,
        lambda d: figures.percent(d[f.key]),
        icon,
        colour,
        note=lambda d: f"{part[1]} {d[part[0]]:,} / {whole[1]} {d[whole[0]]:,}",
    )


class RepairReportDashboard(Dashboard, key="repair_stats"):
    description = "所选项目、所选月份登记的工单。点击任一数字，可查看其背后的工单。"
    columns = 4
    filters = [Filter("project", "项目", "全部项目"), Filter("month", "月份")]
    widgets = [
        _stat(rf.ORDERS, lambda d: d["orders"], "clipboard-list", "#2563eb"),
        _rate(rf.COMPLETION, "circle-check", "#16a34a", ("done", "已回单"), ("handled", "应处理")),
        _stat(rf.RESPONSE, lambda d: rf.hours_text(d["response"]), "timer", "#0891b2"),
        _stat(rf.FINISH, lambda d: rf.hours_text(d["finish"]), "hourglass", "#7c3aed"),
        _rate(rf.ON_TIME, "alarm-clock-check", "#16a34a", ("on_time_n", "按时"), ("done", "已回单")),
        _rate(rf.REDISPATCH, "repeat", "#ea580c", ("redispatched", "二次派工"), ("dispatched", "已派工")),
        _rate(rf.VISIT, "phone-call", "#2563eb", ("visited", "已回访"), ("done", "已回单")),
        _stat(rf.SATISFACTION, lambda d: rf.score_text(d["satisfaction"]), "smile", "#ca8a04"),
        Table(
            "workload",
            "员工工作量（按当前处理人）",
            [
                ("name", "处理人"),
                ("orders", "工单数"),
                ("done", "已回单"),
                ("on_time", "按时回单"),
                ("satisfaction", "满意度"),
            ],
            lambda d: [
                {
                    "name": w["name"],
                    "orders": f"{w['orders']:,}",
                    "done": f"{w['done']:,}",
                    "on_time": f"{w['on_time']:,}",
                    "satisfaction": rf.score_text(w["satisfaction"]),
                    "href": d["links"]["staff"][(w["kind"], w["id"])],
                }
                for w in d["workload"]
            ],
            span=4,
            links={"orders": "href"},
            empty="本月没有派工的工单",
        ),
    ]

    @classmethod
    def filter_options(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
        months = [m.strftime("%Y-%m") for m in rf.months_back(clock.today(), 24)]
        return {
            "project": [(str(i), n) for i, n, _ in room_board.projects(session, p)],
            "month": [(m, m) for m in months],
        }

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, Any]:
        month = rf.Month.of(parse_month(chosen["month"]))
        project_id = int(chosen["project"] or 0)
        d = {**rf.report(session, p, project_id, month), "month": month, "project_id": project_id}
        return {**d, "links": _links(p, d)}
