"""工单报表's figures, each defined once (label, what it counts over what), and their computation.

The base is the orders 登记ed in the chosen month (Beijing days) in the chosen project, inside the viewer's
scope. Each figure's rows are a filter of the 报修工单 list, so the report drills down to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.services import figures
from clss_app.services.figures import Figure
from clss_app.services.permissions import Principal, scope_clause
from clss_app.services.repairs import REPORTED
from models import RepairOrder, RepairState, RepairVendor, User

S = RepairState
VISITED = (S.VISITED, S.ARCHIVED)

ORDERS = Figure("orders", "登记工单", "所选月份登记的工单数（含已驳回）")
COMPLETION = Figure("completion", "完成度", "所选月份登记、未被驳回的工单中，已回单的比例")
RESPONSE = Figure("response", "平均响应时长", "已接单的工单从登记到接单的平均小时数")
FINISH = Figure("finish", "平均完成时长", "已回单的工单从登记到回单的平均小时数")
ON_TIME = Figure("on_time", "及时率", "已回单的工单中，在要求完成时间（派工时间 + 该类别报修时限）内回单的比例")
REDISPATCH = Figure("redispatch", "二次派工率", "已派工的工单中，派工两次及以上的比例")
VISIT = Figure("visit", "回访率", "已回单的工单中，已回访的比例")
SATISFACTION = Figure("satisfaction", "满意度", "已回访工单的满意度平均分（1–5 分）")
FIGURES = (ORDERS, COMPLETION, RESPONSE, FINISH, ON_TIME, REDISPATCH, VISIT, SATISFACTION)


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @classmethod
    def of(cls, first: date) -> Month:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The month as UTC instants: from its first Beijing midnight to the next month's."""
        start = datetime.combine(self.first, time(), tzinfo=clock.SHANGHAI)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=clock.SHANGHAI)
        return start, end


def months_back(today: date, n: int) -> list[date]:
    out, m = [], today.replace(day=1)
    for _ in range(n):
        out.append(m)
        m = (m - timedelta(days=1)).replace(day=1)
    return out


def _hours(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() / 3600 if a and b else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def hours_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} 小时"


def score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} 分"


def report(session: Session, p: Principal, project_id: int, month: Month) -> dict[str, Any]:
    """Every figure of the month's orders (of one project, or every project in p's scope with 0)."""
    start, end = month.bounds()
    where = [scope_clause(p, RepairOrder.project_id), RepairOrder.created_at >= start, RepairOrder.created_at < end]
    if project_id:
        where.append(RepairOrder.project_id == project_id)
    orders = list(session.exec(select(RepairOrder).where(*where)).all())
    handled = [o for o in orders if o.state not in (S.PENDING, S.REJECTED)]
    done = [o for o in orders if o.state in REPORTED]
    dispatched = [o for o in orders if o.dispatch_count >= 1]
    visited = [o for o in orders if o.state in VISITED]
    out: dict[str, Any] = {
        "orders": len(orders),
        "handled": len(handled),
        "done": len(done),
        "completion": figures.ratio(len(done), len(handled)),
        "response": _mean([h for o in orders if (h := _hours(o.created_at, o.accepted_at)) is not None]),
        "finish": _mean([h for o in done if (h := _hours(o.created_at, o.reported_at)) is not None]),
        "on_time_n": sum(1 for o in done if o.on_time),
        "on_time": figures.ratio(sum(1 for o in done if o.on_time), len(done)),
        "dispatched": len(dispatched),
        "redispatched": sum(1 for o in dispatched if o.dispatch_count >= 2),
        "redispatch": figures.ratio(sum(1 for o in dispatched if o.dispatch_count >= 2), len(dispatched)),
        "visited": len(visited),
        "visit": figures.ratio(len(visited), len(done)),
        "satisfaction": _mean([float(o.satisfaction) for o in visited if o.satisfaction is not None]),
    }
    out["workload"] = _workload(session, orders)
    return out


def _workload(session: Session, orders: list[RepairOrder]) -> list[dict[str, Any]]:
    """员工工作量: per handler (a staff member or an 外委单位, the latest 派工), what they were given and did."""
    staff_ids = {o.assignee_id for o in orders if o.assignee_id}
    vendor_ids = {o.vendor_id for o in orders if o.vendor_id}
    names = {("u", i): n for i, n in session.exec(select(User.id, User.display_name).where(User.id.in_(staff_ids)))}
    names |= {
        ("v", i): f"{n}（外委）"
        for i, n in session.exec(select(RepairVendor.id, RepairVendor.name).where(RepairVendor.id.in_(vendor_ids)))
    }
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for o in orders:
        key = ("u", o.assignee_id) if o.assignee_id else ("v", o.vendor_id) if o.vendor_id else None
        if key is None or key[1] is None:
            continue
        r = rows.setdefault(
            (key[0], int(key[1])),
            {
                "kind": key[0],
                "id": key[1],
                "name": names.get((key[0], int(key[1])), ""),
                "orders": 0,
                "done": 0,
                "on_time": 0,
                "scores": [],
            },
        )
        r["orders"] += 1
        r["done"] += o.state in REPORTED
        r["on_time"] += bool(o.state in REPORTED and o.on_time)
        if o.satisfaction is not None:
            r["scores"].append(float(o.satisfaction))
    out = sorted(rows.values(), key=lambda r: (-r["orders"], r["name"]))
    for r in out:
        r["satisfaction"] = _mean(r.pop("scores"))
    return out
